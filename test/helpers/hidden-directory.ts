// A wrapper for spawnUntilReady (and execa) that runs a process in its own mount namespace with a
// directory covered by an empty tmpfs: the way the suite takes a binary away from one process (podman's
// catatonit, say) without uninstalling it from the machine or touching any other process.
export const PODMAN_HELPER_DIR = '/usr/libexec/podman';

/** argv prefix: `[...hidingDirectory(dir), command, ...args]` runs command with dir empty. */
export function hidingDirectory(dir: string): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t tmpfs rexec-test-hidden "$0" && shift && exec "$@"',
    dir,
    // "$@" starts after this placeholder, which `shift` drops.
    'exec',
  ];
}
