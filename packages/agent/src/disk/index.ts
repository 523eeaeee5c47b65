// The agent's disk enforcement: the measuring monitor, the marks it shares with the status
// reporter, what the host announces in HELLO, and the engine storage's free space. Wiring these
// into the daemon is main.ts's job.
export {
  createDiskMonitor,
  DEFAULT_DISK_CHECK_INTERVAL_MS,
  measureWithDu,
} from './disk-monitor.js';
export type {
  DiskCheckRecorder,
  DiskMeasure,
  DiskMonitor,
  DiskMonitorOptions,
  MeasureOptions,
} from './disk-monitor.js';
export { diskEnforcement } from './disk-enforcement.js';
export type { DiskEnforcementReport } from './disk-enforcement.js';
export { diskLimitOf, LABEL_DISK_MB } from './disk-limit.js';
export type { DiskLimit } from './disk-limit.js';
export { measureDirectories } from './du.js';
export { DiskMeasureError } from './errors.js';
export { createQuotaStops } from './quota-stops.js';
export type { DiskStopReason, QuotaStop, QuotaStops } from './quota-stops.js';
export { createStorageSpace, StorageLowError } from './storage-space.js';
export type { StorageSpace } from './storage-space.js';
