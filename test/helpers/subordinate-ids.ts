// A wrapper for spawnUntilReady (like hidden-directory.ts) that runs a process in its own mount
// namespace where /etc/subuid and /etc/subgid give podman's `containers` user the range that
// deploy/install-agent.sh and .ci/run configure: how a suite shows user namespaces on a machine
// whose own files have no such range, without editing them or touching any other process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export const SUBORDINATE_RANGE = 'containers:2147483647:2147483648';

/** argv prefix: `[...prefix, command, ...args]` runs command seeing the range in both files. */
export async function withSubordinateIds(t: Test): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-subids-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'subuid'), `${SUBORDINATE_RANGE}\n`);
  await writeFile(join(dir, 'subgid'), `${SUBORDINATE_RANGE}\n`);
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount --bind "$0/subuid" /etc/subuid && mount --bind "$0/subgid" /etc/subgid && shift && exec "$@"',
    dir,
    // "$@" starts after this placeholder, which `shift` drops.
    'exec',
  ];
}
