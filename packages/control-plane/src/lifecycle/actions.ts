// Start, stop and delete of a user's container, as far as they go without agents: answers that
// need no host (already in the wanted state, never placed) are final; anything that needs a host
// to act is 503 host_unavailable until the agent hub (next issue) carries commands out.
// Lookup and ownership come from the containers service; HTTP statuses from the HTTP layer.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import { hostUnavailable, invalidState, notFound } from '../errors.js';
import { getContainer } from '../services/containers.js';
import { recordEvent } from '../services/events.js';

export type Action = 'start' | 'stop';

/** The status an action leads to; reaching it again is a no-op (idempotent). */
const TARGET: Record<Action, ContainerRow['status']> = { start: 'running', stop: 'stopped' };

/**
 * @throws RexecError invalid_state while the container is being created or deleted,
 * host_unavailable when a host would have to act (no agent is connected yet), not_found.
 */
export async function changeState(
  db: Db,
  userId: string,
  idOrName: string,
  action: Action,
): Promise<ContainerRow> {
  const row = await getContainer(db, userId, idOrName);
  if (row.status === TARGET[action]) return row;
  if (row.status === 'creating' || row.status === 'deleting') {
    throw invalidState(`Cannot ${action} a container while it is ${row.status}.`, row.status);
  }
  throw hostUnavailable(row.hostId ?? undefined);
}

export type DeleteOutcome = { kind: 'removed' } | { kind: 'deleting'; id: string };

/**
 * A container never placed on a host is removed at once. One on a host is marked `deleting`
 * (desired `deleted`); the host finishes the removal when it is connected (agent hub, next issue).
 * @throws RexecError not_found.
 */
export async function deleteContainer(
  db: Db,
  userId: string,
  idOrName: string,
): Promise<DeleteOutcome> {
  const row = await getContainer(db, userId, idOrName);
  const live = and(eq(containers.id, row.id), isNull(containers.deletedAt));
  if (row.hostId === null) {
    const removed = await db
      .update(containers)
      .set({ desiredStatus: 'deleted', deletedAt: new Date() })
      .where(live)
      .returning({ id: containers.id });
    // A concurrent DELETE won the race: to this caller it is simply gone.
    if (removed.length === 0) throw notFound('Container', idOrName);
    await recordEvent(db, {
      type: 'container.deleted',
      actorUserId: userId,
      containerId: row.id,
      reason: 'user',
    });
    return { kind: 'removed' };
  }
  if (row.status !== 'deleting') {
    await db
      .update(containers)
      .set({ desiredStatus: 'deleted', status: 'deleting', statusReason: 'user' })
      .where(live);
    await recordEvent(db, {
      type: 'container.deleting',
      actorUserId: userId,
      containerId: row.id,
      hostId: row.hostId,
      reason: 'host_unavailable',
    });
  }
  return { kind: 'deleting', id: row.id };
}
