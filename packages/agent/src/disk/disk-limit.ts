// Reads a container's disk limit from its `io.rexec.disk-mb` label (set by the runtime at create,
// so the limit survives an agent restart). A container without the label, or with one that is not
// a positive integer, has no limit the monitor can enforce; the caller logs the bad ones.
import { LABEL_DISK_MB } from '../runtime/labels.js';

export { LABEL_DISK_MB };

// Far above any tier; a larger value is a corrupt label, not a limit.
const MAX_DISK_MB = 2 ** 40;

export type DiskLimit =
  { kind: 'none' } | { kind: 'limit'; diskMb: number } | { kind: 'invalid'; value: string };

export function diskLimitOf(labels: Readonly<Record<string, string>>): DiskLimit {
  const value = labels[LABEL_DISK_MB];
  if (value === undefined || value === '') return { kind: 'none' };
  if (!/^[1-9]\d{0,12}$/.test(value)) return { kind: 'invalid', value };
  const diskMb = Number(value);
  return diskMb > MAX_DISK_MB ? { kind: 'invalid', value } : { kind: 'limit', diskMb };
}
