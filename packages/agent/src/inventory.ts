// Maps the runtime's camelCase ObservedContainer onto the wire's ObservedContainer, and builds the
// HELLO inventory from runtime.list(). A container whose io.rexec.container-id is not a valid ctr_
// id is left out and logged (PROTOCOL.md §4): one corrupt label must not make HELLO undecodable.
import { ContainerId, OciReference } from '@rexec/protocol';
import type { ObservedContainer as WireContainer } from '@rexec/protocol';
import type { Logger } from 'pino';
import type { ContainerRuntime, ObservedContainer } from './runtime/index.js';

/** The wire form of a container the engine knows; the caller checked its id is a ctr_ id. */
export function toWireContainer(observed: ObservedContainer): WireContainer {
  return {
    container_id: observed.containerId,
    engine_id: observed.engineId,
    state: observed.state,
    exit_code: observed.exitCode,
    oom_killed: observed.oomKilled,
    started_at: observed.startedAt?.toISOString() ?? null,
    finished_at: observed.finishedAt?.toISOString() ?? null,
    // Engines may report an image by a form the wire refuses (a bare id); then it is left out.
    ...(OciReference.safeParse(observed.image).success ? { image: observed.image } : {}),
  };
}

/** The wire form of a container the engine does not have (after a remove, or never made). */
export function missingContainer(containerId: string): WireContainer {
  return {
    container_id: containerId,
    engine_id: null,
    state: 'missing',
    exit_code: null,
    oom_killed: false,
    started_at: null,
    finished_at: null,
  };
}

export function isWireContainerId(containerId: string): boolean {
  return ContainerId.safeParse(containerId).success;
}

/** Every container of this host, in wire form, each container id once. */
export async function collectInventory(
  runtime: ContainerRuntime,
  log: Logger,
): Promise<WireContainer[]> {
  const inventory = new Map<string, WireContainer>();
  for (const observed of await runtime.list()) {
    if (!isWireContainerId(observed.containerId)) {
      log.warn(
        { engineId: observed.engineId, name: observed.name, containerId: observed.containerId },
        'skipping a container labelled for this host whose io.rexec.container-id is not a ctr_ id',
      );
      continue;
    }
    if (inventory.has(observed.containerId)) {
      log.warn(
        { engineId: observed.engineId, containerId: observed.containerId },
        'two engine containers carry the same io.rexec.container-id; reporting the first',
      );
      continue;
    }
    inventory.set(observed.containerId, toWireContainer(observed));
  }
  return [...inventory.values()];
}
