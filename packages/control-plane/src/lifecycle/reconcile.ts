// Reconciliation on every HELLO (PROTOCOL.md §7): the host's containers in Postgres against the
// agent's inventory, each decided by the one table in reconcile-table.ts (creates that never landed
// are re-sent, missing containers become `error`/`container_missing`, containers that should not
// run are stopped, a start or stop whose result was lost is recorded, pending deletes are
// finished), and labelled containers the database does not know are quarantined (quarantine.ts):
// stopped and kept with their volumes for an admin, never deleted.
import { stopCommand, type ObservedContainer } from '@rexec/protocol';
import { and, eq, isNull } from 'drizzle-orm';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import type { EstablishedHost } from '../hub/hub.js';
import { launchContainer, removeOnHost, STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';
import { exitDetail, exitReason, markError, markRunning, markStopped } from './outcomes.js';
import { engineState, reconcileAction } from './reconcile-table.js';
import { quarantineUnknown } from './quarantine.js';
import { finishDelete } from './transitions.js';

/** Runs every step for the host; each step's failure is logged and does not stop the others. */
export async function reconcileHost(deps: LifecycleDeps, host: EstablishedHost): Promise<void> {
  const rows = await deps.db
    .select()
    .from(containers)
    .where(and(eq(containers.hostId, host.hostId), isNull(containers.deletedAt)));
  const observed = new Map(host.hello.inventory.map((c) => [c.container_id, c]));
  const known = new Set(rows.map((row) => row.id));
  const steps: Promise<void>[] = [];
  for (const row of rows) {
    // A command in flight will settle this row itself; acting now would race it. One re-sent at
    // HELLO may already be answered by now while `rows` still shows the state before its answer.
    if (host.inFlight.has(row.id) || deps.hub.hasPendingCommand(row.id)) continue;
    steps.push(reconcileContainer(deps, row, observed.get(row.id)));
  }
  const unknown = host.hello.inventory.filter((c) => !known.has(c.container_id));
  steps.push(quarantineUnknown(deps, host.hostId, unknown));
  const results = await Promise.allSettled(steps);
  for (const result of results) {
    if (result.status === 'rejected') {
      deps.log.error({ err: result.reason, host_id: host.hostId }, 'a reconciliation step failed');
    }
  }
}

async function reconcileContainer(
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
      await markRunning(db, row, observed, 'reconciled');
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
  const result = await deps.hub.sendCommand(row.hostId, row.id, stopCommand(), STOP_TIMEOUT_MS);
  if (!result.ok) {
    deps.log.warn({ container_id: row.id, error: result.error }, 'reconciliation stop failed');
    return;
  }
  await markStopped(deps.db, row, expired ? 'session_expired' : 'user');
}
