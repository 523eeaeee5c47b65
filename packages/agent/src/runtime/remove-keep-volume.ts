// Force-removes a container but keeps its home volume, for a `remove` command with
// remove_volume:false (ContainerRuntime.remove always takes the volume with it); the user's
// network goes too when this was their last container here. Ownership is
// checked through runtime.inspect, which refuses another host's container, before anything runs.
import { rm } from 'node:fs/promises';
import { pidFilePath } from './container-shaping.js';
import { createEngineCli } from './engine-cli.js';
import { isRuntimeError } from './errors.js';
import { removeUserNetworkIfUnused } from './user-networks.js';
import type { ContainerRuntime } from './types.js';

/** Removes the container if it exists; a missing one succeeds, the volume is left in place. */
export async function removeKeepingVolume(
  runtime: ContainerRuntime,
  containerId: string,
  binary: string = runtime.kind,
): Promise<void> {
  const observed = await runtime.inspect(containerId);
  if (observed === null) return;
  const cli = createEngineCli(binary);
  try {
    await cli.run(['rm', '--force', observed.engineId]);
  } catch (error) {
    if (!isRuntimeError(error, 'not_found')) throw error;
  }
  // podman's pid file for shaping outlives the container; the runtime's remove drops it too.
  await rm(pidFilePath(containerId), { force: true });
  if (observed.userId !== null) {
    await removeUserNetworkIfUnused((args) => cli.run(args), runtime.hostId, observed.userId);
  }
}
