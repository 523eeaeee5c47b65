// Retries an engine call that failed with EBUSY ("device or resource busy"). podman 4.3 (Debian
// 12's) races its own `container cleanup` process, which conmon starts when a container exits,
// while unmounting the container's shm and root filesystem: a `rm --force` right after the
// container died can fail with `unlinkat …/userdata/shm: device or resource busy`, more often with
// `--userns=auto`. The cleanup ends within a second and the same call then succeeds (podman#11594,
// fixed in 4.4). The same retry covers a container whose conmon died (killed, or OOM-killed with
// it): podman waits 5 s for the exit file conmon never writes, fails the call ("timed out waiting
// for file …/exits/…") and marks the container exited, and the same call then succeeds. Other
// failures are rethrown at once.
import { setTimeout as sleep } from 'node:timers/promises';

export const BUSY_RETRIES = 4;
export const BUSY_RETRY_STEP_MS = 250;

const BUSY = /device or resource busy|timed out waiting for file \S*\/exits\//i;

/** Whether an engine failure is one of the transient ones above (read from message or stderr). */
export function isEngineBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const stderr = (error as { stderr?: unknown }).stderr;
  return BUSY.test(error.message) || (typeof stderr === 'string' && BUSY.test(stderr));
}

/** Runs `call`, again after 250, 500, 750 and 1000 ms while it fails transiently. */
export async function retryWhileBusy<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isEngineBusy(error) || attempt > BUSY_RETRIES) throw error;
      await sleep(BUSY_RETRY_STEP_MS * attempt);
    }
  }
}
