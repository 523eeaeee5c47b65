// Tells whether overlay's `--storage-opt size=` can work: only when the engine's storage root sits
// on xfs mounted with project quotas. Read from the kernel's mount table, so it costs no probe
// container; btrfs/zfs and the drivers that never can are info-parser.ts's judgement.
import { readFile } from 'node:fs/promises';

const MOUNTINFO = '/proc/self/mountinfo';
// `pqnoenforce` accounts usage without enforcing it, which is no limit.
const ENFORCED_PROJECT_QUOTA = /(^|,)(prjquota|pquota)(,|$)/;

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

function within(dir: string, mountPoint: string): boolean {
  return mountPoint === '/' || dir === mountPoint || dir.startsWith(`${mountPoint}/`);
}

/** From mountinfo text: whether `dir`'s mount is xfs with enforced project quotas. */
export function projectQuotaFromMountinfo(mountinfo: string, dir: string): boolean {
  let best: { point: string; fsType: string; options: string } | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const point = unescapeMountPath(left.split(' ')[4] ?? '');
    const [fsType = '', , superOptions = ''] = right.split(' ');
    // Later lines are mounts stacked on top, so an equal-length match replaces an earlier one.
    if (within(dir, point) && (best === null || point.length >= best.point.length)) {
      best = { point, fsType, options: superOptions };
    }
  }
  return best !== null && best.fsType === 'xfs' && ENFORCED_PROJECT_QUOTA.test(best.options);
}

/** Whether `dir` is on xfs with project quotas; null when the mount table cannot be read. */
export async function hasProjectQuota(dir: string): Promise<boolean | null> {
  let mountinfo: string;
  try {
    mountinfo = await readFile(MOUNTINFO, 'utf8');
  } catch {
    // Not Linux, or /proc hidden: the answer is unknown, which callers treat as "do not rely on it".
    return null;
  }
  return projectQuotaFromMountinfo(mountinfo, dir);
}
