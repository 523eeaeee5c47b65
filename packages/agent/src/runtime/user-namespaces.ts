// Whether containers here run in a user namespace (uid 0 inside is an unprivileged uid outside).
// podman gets one per container with `--userns=auto`, which takes ranges from the subordinate ids
// of the user `containers` (rootful) in /etc/subuid and /etc/subgid: without such ranges every
// `--userns=auto` run fails, so the flag is passed only when they exist. docker remaps all
// containers or none (dockerd's `userns-remap`), read from `docker info`. Adding the ranges is the
// operator's (deploy/install-agent.sh, .ci/run); passing the flag is run-args.ts's.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';

/** Ids each podman container gets: the usual 0-65535, so `nobody` (65534) and service users fit. */
export const USERNS_SIZE = 65_536;
/** The user whose subordinate ids rootful podman hands out (storage.conf root-auto-userns-user). */
export const ROOT_AUTO_USERNS_USER = 'containers';

export interface UserNamespaceSupport {
  enabled: boolean;
  /** What an admin reads: the range used, or what to add to turn it on. */
  detail: string;
}

export interface SubidFiles {
  subuid: string;
  subgid: string;
}

const DEFAULT_FILES: SubidFiles = { subuid: '/etc/subuid', subgid: '/etc/subgid' };

/** The largest range `user` owns in a subuid/subgid file's text; 0 when none. */
export function largestSubidRange(text: string, user: string, uid: number | null): number {
  let largest = 0;
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== user && (uid === null || owner !== String(uid))) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count)) continue;
    largest = Math.max(largest, Number(count));
  }
  return largest;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    // A missing file holds no ranges, which is exactly what the caller reports.
    return '';
  }
}

/** podman: on when the user podman takes ids from owns a range of at least USERNS_SIZE in both files. */
export async function podmanUserNamespaces(
  files: SubidFiles = DEFAULT_FILES,
): Promise<UserNamespaceSupport> {
  const rootful = process.getuid?.() === 0;
  const user = rootful ? ROOT_AUTO_USERNS_USER : userInfo().username;
  const uid = rootful ? null : (process.getuid?.() ?? null);
  const [subuid, subgid] = await Promise.all([
    readOrEmpty(files.subuid),
    readOrEmpty(files.subgid),
  ]);
  const range = Math.min(
    largestSubidRange(subuid, user, uid),
    largestSubidRange(subgid, user, uid),
  );
  if (range >= USERNS_SIZE) {
    return {
      enabled: true,
      detail: `podman --userns=auto: ${USERNS_SIZE} ids per container from ${user}'s ${range} subordinate ids`,
    };
  }
  return {
    enabled: false,
    detail:
      `containers run without a user namespace: ${files.subuid} and ${files.subgid} give ` +
      `"${user}" no range of ${USERNS_SIZE}+ ids; add "${user}:2147483647:2147483648" to both ` +
      '(deploy/install-agent.sh does)',
  };
}

/** docker: `docker info`'s SecurityOptions name `userns` when dockerd runs with userns-remap. */
export function dockerUserNamespaces(securityOptions: readonly string[]): UserNamespaceSupport {
  const enabled = securityOptions.some((option) => option.split(',').includes('name=userns'));
  return enabled
    ? { enabled, detail: 'dockerd remaps every container (userns-remap)' }
    : {
        enabled,
        detail:
          'containers run without a user namespace: start dockerd with "userns-remap": "default" ' +
          'in /etc/docker/daemon.json',
      };
}
