// What a create does when `run` did not simply succeed: a taken name is a replay, a racing create
// or a foreign container (existingAfterConflict); a run that failed leaves nothing behind for a
// replay to trip over (discardFailedRun). Sequencing the create itself is create-container.ts's.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerShaping } from './container-shaping.js';
import type { RuntimeError } from './errors.js';
import type { HomeVolumes } from './home-volumes.js';
import type { CreatedContainer, ObservedContainer } from './types.js';
import { retryWhileBusy } from './busy-retry.js';

/** The runtime operations recovery needs, bound to one host's runtime. */
export interface CreateRecovery {
  find(containerId: string): Promise<ObservedContainer | null>;
  run(args: readonly string[]): Promise<string>;
  ensureRunning(observed: ObservedContainer): Promise<ObservedContainer>;
  volumes: HomeVolumes;
  shaping: ContainerShaping;
  log: Logger;
}

// How long a taken name may stay uninspectable while a racing `run` registers it (docker).
const CONFLICT_LOOKUPS = 30;
const CONFLICT_LOOKUP_INTERVAL_MS = 100;

/**
 * The name is taken: by this container (a replay), by a create racing this one, or by a container
 * that is not ours. docker reserves a name before the container can be inspected, so a racer may
 * need a moment to appear. The volume this create took goes back to the pool unused.
 */
export async function existingAfterConflict(
  deps: CreateRecovery,
  containerId: string,
  homeVolume: string,
  runError: RuntimeError,
): Promise<CreatedContainer> {
  // The engine refused the name before creating anything, so no container mounted the volume.
  await deps.volumes.giveBack(homeVolume);
  for (let attempt = 0; ; attempt++) {
    const existing = await deps.find(containerId);
    if (existing !== null) {
      const replayed = existing.state === 'running';
      return { ...(await deps.ensureRunning(existing)), replayed };
    }
    if (attempt >= CONFLICT_LOOKUPS) throw runError;
    await sleep(CONFLICT_LOOKUP_INTERVAL_MS);
  }
}

/**
 * `run` can create the container and then fail to start it; a replay would hit the same failure,
 * so the broken container goes, and its volume (taken fresh for this create, so holding nobody's
 * data, though the engine may have copied the image's files in), and the error is what the caller
 * sees.
 */
export async function discardFailedRun(
  deps: CreateRecovery,
  containerId: string,
  homeVolume: string,
  runError: unknown,
): Promise<void> {
  try {
    const leftover = await deps.find(containerId);
    if (leftover !== null)
      await retryWhileBusy(() => deps.run(['rm', '--force', leftover.engineId]));
    await deps.shaping.forget(containerId);
  } catch (cleanupError) {
    deps.log.warn(
      { err: cleanupError, runError, containerId },
      'could not remove a container whose start failed; remove() will retry it',
    );
    return;
  }
  try {
    await deps.volumes.remove(homeVolume, containerId);
  } catch (cleanupError) {
    deps.log.warn(
      { err: cleanupError, runError, containerId, homeVolume },
      'could not remove the home volume of a failed create; the next start sweeps it if empty',
    );
  }
}
