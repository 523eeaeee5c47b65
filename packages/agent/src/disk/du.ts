// Measures the disk a set of directories takes with one `du -sxk` (allocated blocks, not apparent
// size; symlinks not followed; mounts below each directory not crossed). du beats a walk in Node by
// an order of magnitude on a 20k-file tree (≈40 ms of CPU against ≈700 ms), which matters on a
// 2-core host. Which directories belong to a container is the runtime's `locate`.
import { execa } from 'execa';
import { DiskMeasureError } from './errors.js';

export interface DuOptions {
  /** Kills du after this long; a tree too big to walk in time is a failed measurement. */
  timeoutMs: number;
  /** The du binary; `du` from PATH by default. */
  binary?: string;
}

const KIB = 1024;
const STDERR_KEEP = 2_000;

/**
 * Bytes allocated under `dirs` together. du exits 1 when a file vanishes mid-walk (a container
 * deleting its temp files); its totals are still right for what remained, so they are used as long
 * as every directory got its total line. A directory that is itself gone fails the measurement.
 */
export async function measureDirectories(
  dirs: readonly string[],
  options: DuOptions,
): Promise<number> {
  if (dirs.length === 0) return 0;
  const binary = options.binary ?? 'du';
  const argv = ['-sxk', '--', ...dirs];
  let result;
  try {
    result = await execa(binary, argv, {
      reject: false,
      timeout: options.timeoutMs,
      stripFinalNewline: true,
    });
  } catch (error) {
    throw new DiskMeasureError(`could not run ${binary}`, { dirs, cause: error });
  }
  const stderr = result.stderr.slice(0, STDERR_KEEP);
  if (result.timedOut || result.exitCode === undefined || result.exitCode > 1) {
    const why = result.timedOut ? `timed out after ${options.timeoutMs} ms` : result.shortMessage;
    throw new DiskMeasureError(`${binary} ${argv.join(' ')} failed: ${why}`, { dirs, stderr });
  }
  const totals = parseDuTotals(result.stdout);
  const missing = dirs.filter((dir) => !totals.has(dir));
  if (missing.length > 0) {
    throw new DiskMeasureError(`${binary} printed no total for ${missing.join(', ')}`, {
      dirs,
      stderr,
    });
  }
  let kib = 0;
  for (const dir of dirs) kib += totals.get(dir) ?? 0;
  return kib * KIB;
}

/** du's `<KiB>\t<path>` lines as path → KiB; paths may contain spaces, never a tab before them. */
export function parseDuTotals(stdout: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const size = line.slice(0, tab);
    if (!/^\d+$/.test(size)) continue;
    totals.set(line.slice(tab + 1), Number(size));
  }
  return totals;
}
