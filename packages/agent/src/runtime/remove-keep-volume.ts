// Force-removes a container but keeps its home volume, for a `remove` command with
// remove_volume:false (ContainerRuntime.remove always takes the volume with it). Ownership is
// checked through runtime.inspect, which refuses another host's container, before anything runs.
import { createEngineCli } from './engine-cli.js';
import { isRuntimeError } from './errors.js';
import type { ContainerRuntime } from './types.js';

/** Removes the container if it exists; a missing one succeeds, the volume is left in place. */
export async function removeKeepingVolume(
  runtime: ContainerRuntime,
  containerId: string,
  binary: string = runtime.kind,
): Promise<void> {
  const observed = await runtime.inspect(containerId);
  if (observed === null) return;
  try {
    await createEngineCli(binary).run(['rm', '--force', observed.engineId]);
  } catch (error) {
    if (!isRuntimeError(error, 'not_found')) throw error;
  }
}
