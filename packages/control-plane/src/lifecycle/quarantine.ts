// Labelled containers a host runs that the database does not know, as after a restore from a
// backup older than them: quarantined, never deleted. Each is stopped if it runs (its user's data
// and volumes stay on the host), and the host's `quarantined` list shows them to admins until they
// are gone from the inventory (an admin removed them on the host, or restored their rows).
import { stopCommand, type ObservedContainer } from '@rexec/protocol';
import { eq } from 'drizzle-orm';
import { hosts, type QuarantinedContainer } from '../db/schema/hosts.js';
import { recordEvent } from '../services/events.js';
import { STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';

export async function quarantineUnknown(
  deps: LifecycleDeps,
  hostId: string,
  unknown: readonly ObservedContainer[],
): Promise<void> {
  const [host] = await deps.db
    .select({ quarantined: hosts.quarantined })
    .from(hosts)
    .where(eq(hosts.id, hostId));
  if (host === undefined) return;
  const before = new Map(host.quarantined.map((entry) => [entry.container_id, entry]));
  if (unknown.length === 0 && before.size === 0) return;
  const now = new Date().toISOString();
  const list: QuarantinedContainer[] = [];
  for (const container of unknown) {
    const state = await stopIfRunning(deps, hostId, container);
    const known = before.get(container.container_id);
    list.push({ container_id: container.container_id, state, found_at: known?.found_at ?? now });
    if (known !== undefined) continue;
    deps.log.warn(
      { host_id: hostId, container_id: container.container_id, state: container.state },
      'quarantined a container the database does not know: stopped and kept for an admin',
    );
    await recordEvent(deps.db, {
      type: 'container.quarantined',
      containerId: container.container_id,
      hostId,
      reason: 'unknown_to_database',
      detail: { state: container.state, now: state },
    });
  }
  await deps.db.update(hosts).set({ quarantined: list }).where(eq(hosts.id, hostId));
}

/** The container's state afterwards; a stop that fails leaves it as it was (and is logged). */
async function stopIfRunning(
  deps: LifecycleDeps,
  hostId: string,
  container: ObservedContainer,
): Promise<string> {
  if (container.state !== 'running' && container.state !== 'paused') return container.state;
  const result = await deps.hub.sendCommand(
    hostId,
    container.container_id,
    stopCommand(),
    STOP_TIMEOUT_MS,
  );
  // Nothing of a quarantined container's is recorded but the host's list, written after this.
  deps.hub.acknowledge(hostId, result.command_id);
  if (result.ok) return result.container.state;
  deps.log.warn(
    { host_id: hostId, container_id: container.container_id, error: result.error },
    'could not stop a quarantined container; it keeps running',
  );
  return container.state;
}
