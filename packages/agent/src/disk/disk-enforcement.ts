// What the host tells the control plane about disk enforcement in AGENT_HELLO (`disk_enforcement`,
// `disk_check_seconds`): `storage_opt` when the engine caps the writable layer itself (the monitor
// still measures, because the home volume has no quota), `monitor` when only the monitor enforces,
// `none` when neither does. Passing `--storage-opt size=` is the runtime's job.
import type { DiskEnforcement } from '@rexec/protocol';
import type { RuntimeInfo } from '../runtime/index.js';

export interface DiskEnforcementReport {
  mode: DiskEnforcement;
  /** How often usage is measured; null when the monitor does not run. */
  checkSeconds: number | null;
}

/** `intervalMs` is the monitor's interval, or null when the agent runs no disk monitor. */
export function diskEnforcement(
  info: Pick<RuntimeInfo, 'storageOptSize'>,
  intervalMs: number | null,
): DiskEnforcementReport {
  const checkSeconds = intervalMs === null ? null : Math.max(1, Math.round(intervalMs / 1000));
  if (info.storageOptSize === true) return { mode: 'storage_opt', checkSeconds };
  return { mode: checkSeconds === null ? 'none' : 'monitor', checkSeconds };
}
