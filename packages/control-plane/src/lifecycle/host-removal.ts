// An admin removes a host (DELETE /hosts/:id): refused while it is online unless forced; with
// `delete_containers` its containers are removed on the host first (when it is connected) and
// soft-deleted, else they become `error`/`host_removed`, holding no quota. The host row goes with
// its credentials (revoked: the agent's socket is closed and its next connect is refused).
import { and, eq, isNull } from 'drizzle-orm';
import { containers } from '../db/schema/containers.js';
import { hosts } from '../db/schema/hosts.js';
import { invalidState } from '../errors.js';
import { recordEvent } from '../services/events.js';
import { getHost } from '../services/hosts.js';
import { removeOnHost, type LifecycleDeps } from './actions.js';
import { markGone } from './host-loss.js';

export interface RemoveHostOptions {
  /** Remove it even while its agent is connected. */
  force: boolean;
  /** Delete its containers instead of keeping them as `error`/`host_removed`. */
  deleteContainers: boolean;
  actorUserId: string | null;
}

/** What the removal did with the host's containers. */
export interface HostRemoval {
  errored: number;
  deleted: number;
}

/**
 * @throws RexecError not_found, invalid_state (+ status `online`) when the host is online and
 * `force` is not set.
 */
export async function removeHost(
  deps: LifecycleDeps,
  hostId: string,
  options: RemoveHostOptions,
): Promise<HostRemoval> {
  const host = await getHost(deps.db, hostId);
  const connected = deps.hub.isConnected(hostId);
  if ((host.status === 'online' || connected) && !options.force) {
    throw invalidState(
      'The host is online: stop its agent first, or remove it anyway with ?force=true.',
      'online',
    );
  }
  if (options.deleteContainers && connected) await removeContainersOnHost(deps, hostId);
  const removal = await deps.db.transaction(async (tx) => {
    const marked = await markGone(tx, hostId, 'host_removed', 'An administrator removed its host.');
    const finished = marked.filter((row) => row.deleted).length;
    let deleted = finished;
    if (options.deleteContainers) {
      const gone = await tx
        .update(containers)
        .set({ deletedAt: new Date(), desiredStatus: 'deleted' })
        .where(and(eq(containers.hostId, hostId), isNull(containers.deletedAt)))
        .returning({ id: containers.id });
      for (const { id } of gone) {
        await recordEvent(tx, {
          type: 'container.deleted',
          actorUserId: options.actorUserId,
          containerId: id,
          hostId,
          reason: 'host_removed',
        });
      }
      deleted += gone.length;
    }
    // Rows keep no reference to a host that no longer exists; events keep its id for history.
    await tx.update(containers).set({ hostId: null }).where(eq(containers.hostId, hostId));
    await tx.delete(hosts).where(eq(hosts.id, hostId));
    const result = { errored: options.deleteContainers ? 0 : marked.length - finished, deleted };
    await recordEvent(tx, {
      type: 'host.removed',
      actorUserId: options.actorUserId,
      hostId,
      reason: 'user',
      detail: { name: host.name, ...result, forced: options.force },
    });
    return result;
  });
  deps.hub.disconnectRevoked(
    hostId,
    'An administrator removed this host from the fleet. Join it again with a new join token.',
  );
  return removal;
}

/** Removes each live container on the connected host; one that fails is only soft-deleted. */
async function removeContainersOnHost(deps: LifecycleDeps, hostId: string): Promise<void> {
  const rows = await deps.db
    .select()
    .from(containers)
    .where(and(eq(containers.hostId, hostId), isNull(containers.deletedAt)));
  const results = await Promise.allSettled(rows.map((row) => removeOnHost(deps, row, null)));
  for (const result of results) {
    if (result.status === 'rejected') {
      // Safe to carry on: the row is soft-deleted below either way; what the host kept of it is
      // an operator's to clean (README, "Removing a host").
      deps.log.warn({ err: result.reason, host_id: hostId }, 'a container was not removed');
    }
  }
}
