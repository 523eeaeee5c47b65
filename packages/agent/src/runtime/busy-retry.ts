// Retries an engine call that failed with EBUSY ("device or resource busy"). podman 4.3 (Debian
// 12's) races its own `container cleanup` process, which conmon starts when a container exits,
// while unmounting the container's shm and root filesystem: a `rm --force` right after the
// container died can fail with `unlinkat …/userdata/shm: device or resource busy`, more often with
// `--userns=auto`. The cleanup ends within a second and the same call then succeeds (podman#11594,
// fixed in 4.4). Other failures are rethrown at once.
import { setTimeout as sleep } from 'node:timers/promises';

export const BUSY_RETRIES = 4;
export const BUSY_RETRY_STEP_MS = 250;

const BUSY = /device or resource busy/i;

/** Whether an engine failure is the transient EBUSY above (read from its message or stderr). */
export function isEngineBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const stderr = (error as { stderr?: unknown }).stderr;
  return BUSY.test(error.message) || (typeof stderr === 'string' && BUSY.test(stderr));
}

/** Runs `call`, again after 250, 500, 750 and 1000 ms while it fails with EBUSY. */
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
