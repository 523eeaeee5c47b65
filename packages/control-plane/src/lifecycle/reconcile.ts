// Reconciliation (PROTOCOL.md §7), on every HELLO and every REXEC_RECONCILE_SECONDS
// (periodic-reconcile.ts): the host's containers in Postgres against the agent's inventory, each
// decided by the one table in reconcile-table.ts (creates that never landed are re-sent, missing
// containers become `error`/`container_missing`, containers that should not run are stopped, a
// start or stop whose result was lost is recorded, pending deletes are finished), containers
// whose rows were deleted are removed, and labelled containers the database does not know at all
// are quarantined (quarantine.ts): stopped and kept with their volumes for an admin, never deleted.
import { COMMAND_TIMEOUT_MS, stopCommand, type ObservedContainer } from '@rexec/protocol';
import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import type { EstablishedHost } from '../hub/hub.js';
import { launchContainer, removeOnHost, STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';
import { exitDetail, exitReason, markError, markRunning, markStopped } from './outcomes.js';
import { engineState, reconcileAction } from './reconcile-table.js';
import { quarantineUnknown } from './quarantine.js';
import { finishDelete } from './transitions.js';
import { retryWrite } from './write-retry.js';

/** One host's inventory, and what reconciliation must leave alone because it may be out of date. */
export interface InventorySnapshot {
  hostId: string;
  inventory: readonly ObservedContainer[];
  /** Containers whose commands were re-sent with WELCOME (they settle their own rows). */
  inFlight: ReadonlySet<string>;
  /**
   * When the inventory was asked for (epoch ms), for one asked of a live session: rows created, and
   * containers with a command sent or answered, since then are skipped (the inventory predates
   * them). Undefined for a HELLO, whose inventory is the first word of the session.
   */
  takenAt?: number;
}

/** At HELLO: the inventory the agent sent with it. */
export function reconcileHost(deps: LifecycleDeps, host: EstablishedHost): Promise<void> {
  return reconcileInventory(deps, {
    hostId: host.hostId,
    inventory: host.hello.inventory,
    inFlight: host.inFlight,
  });
}

/** Runs every step for the host; each step's failure is logged and does not stop the others. */
export async function reconcileInventory(
  deps: LifecycleDeps,
  snapshot: InventorySnapshot,
): Promise<void> {
  const { hostId, takenAt } = snapshot;
  const rows = await deps.db
    .select()
    .from(containers)
    .where(and(eq(containers.hostId, hostId), isNull(containers.deletedAt)));
  const observed = new Map(snapshot.inventory.map((c) => [c.container_id, c]));
  const known = new Set(rows.map((row) => row.id));
  // A command in flight will settle its row itself; acting now would race it. One re-sent at
  // HELLO may already be answered by now while `rows` still shows the state before its answer.
  const busy = (id: string) => snapshot.inFlight.has(id) || deps.hub.hasPendingCommand(id, takenAt);
  const steps: Promise<void>[] = [];
  for (const row of rows) {
    if (busy(row.id)) continue;
    if (takenAt !== undefined && row.createdAt.getTime() >= takenAt) continue;
    steps.push(reconcileContainer(deps, row, observed.get(row.id)));
  }
  const unknown = snapshot.inventory.filter(
    (c) => !known.has(c.container_id) && !busy(c.container_id),
  );
  const deleted = await deletedAmong(deps, unknown);
  steps.push(removeDeleted(deps, hostId, deleted));
  steps.push(
    quarantineUnknown(
      deps,
      hostId,
      unknown.filter((c) => !deleted.has(c.container_id)),
    ),
  );
  const results = await Promise.allSettled(steps);
  for (const result of results) {
    if (result.status === 'rejected') {
      deps.log.error({ err: result.reason, host_id: hostId }, 'a reconciliation step failed');
    }
  }
}

/** Which of the host's unknown containers have a row that was deleted. */
async function deletedAmong(
  deps: LifecycleDeps,
  unknown: readonly ObservedContainer[],
): Promise<Set<string>> {
  if (unknown.length === 0) return new Set();
  const rows = await deps.db
    .select({ id: containers.id })
    .from(containers)
    .where(
      and(
        inArray(
          containers.id,
          unknown.map((c) => c.container_id),
        ),
        isNotNull(containers.deletedAt),
      ),
    );
  return new Set(rows.map((row) => row.id));
}

/**
 * A container whose row was deleted is removed with its volume: its owner asked for that, and a
 * create that crossed the delete (or a lost host that comes back) must not leave it running.
 * Unlike an unknown container it is not quarantined. A failure waits for the next pass.
 */
async function removeDeleted(
  deps: LifecycleDeps,
  hostId: string,
  deleted: ReadonlySet<string>,
): Promise<void> {
  await Promise.all(
    [...deleted].map(async (containerId) => {
      try {
        const result = await deps.hub.sendCommand(
          hostId,
          containerId,
          { action: 'remove', remove_volume: true },
          COMMAND_TIMEOUT_MS.remove,
        );
        deps.hub.acknowledge(hostId, result.command_id);
        if (result.ok) {
          deps.log.warn(
            { host_id: hostId, container_id: containerId },
            'removed a container whose row was deleted',
          );
        } else {
          deps.log.warn(
            { host_id: hostId, container_id: containerId, error: result.error },
            'could not remove a container whose row was deleted; trying again next pass',
          );
        }
      } catch (error) {
        deps.log.warn(
          { host_id: hostId, container_id: containerId, err: error },
          'no answer to the removal of a container whose row was deleted; trying again next pass',
        );
      }
    }),
  );
}

/** One row against what the engine says of its container (`undefined`: not there). */
export async function reconcileContainer(
  deps: LifecycleDeps,
  row: ContainerRow,
  observed: ObservedContainer | undefined,
): Promise<void> {
  const { db } = deps;
  const action = reconcileAction(
    row.status,
    row.desiredStatus,
    engineState(observed?.state),
    row.role === 'barebone',
  );
  switch (action) {
    case 'none':
      return;
    case 'relaunch':
      await launchContainer(deps, row);
      return;
    case 'mark_running':
      await markRunning(deps, row, observed, 'reconciled');
      return;
    case 'mark_stopped':
      await markStopped(db, row, exitReason(observed, 'exited'), exitDetail(observed));
      return;
    case 'mark_missing':
      await markError(db, row, 'container_missing', 'The host no longer has this container.');
      return;
    case 'stop_on_host':
      await stopOnHost(deps, row);
      return;
    case 'forget_start':
      await db
        .update(containers)
        .set({ desiredStatus: 'stopped' })
        .where(and(eq(containers.id, row.id), eq(containers.status, 'stopped')));
      return;
    case 'remove_on_host':
      await removeOnHost(deps, row, null);
      return;
    case 'finish_delete':
      await finishDelete(db, row, null);
      return;
  }
}

/** Stops a container that should not run (a stop or a session expiry the host missed). */
async function stopOnHost(deps: LifecycleDeps, row: ContainerRow): Promise<void> {
  if (row.hostId === null) return;
  const expired = row.sessionExpiresAt !== null && row.sessionExpiresAt <= new Date();
  // The reason the stop was decided with; rows from before desired_reason guess it.
  const reason = row.desiredReason ?? (expired ? 'session_expired' : 'user');
  const result = await deps.hub.sendCommand(row.hostId, row.id, stopCommand(), STOP_TIMEOUT_MS);
  if (!result.ok) {
    deps.hub.acknowledge(row.hostId, result.command_id);
    deps.log.warn({ container_id: row.id, error: result.error }, 'reconciliation stop failed');
    return;
  }
  await retryWrite(
    deps.log,
    'cannot record a reconciliation stop; retrying',
    { container_id: row.id, command_id: result.command_id },
    () => markStopped(deps.db, row, reason),
  );
  deps.hub.acknowledge(row.hostId, result.command_id);
}
