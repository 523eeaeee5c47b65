// Reconciliation on every HELLO (PROTOCOL.md §7): the host's containers in Postgres against the
// agent's inventory. Creates that never landed are re-sent, missing containers become `error`
// (`container_missing`), containers that should be stopped are stopped, pending deletes are
// finished and labelled containers the database does not know are removed and logged.
import { COMMAND_TIMEOUT_MS, stopCommand, type ObservedContainer } from '@rexec/protocol';
import { and, eq, isNull } from 'drizzle-orm';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import type { EstablishedHost } from '../hub/hub.js';
import { recordEvent } from '../services/events.js';
import { launchContainer, removeOnHost, STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';
import { exitDetail, exitReason, markError, markRunning, markStopped } from './outcomes.js';
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
  for (const container of host.hello.inventory) {
    if (!known.has(container.container_id)) steps.push(removeOrphan(deps, host.hostId, container));
  }
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
  const state = observed?.state ?? 'missing';
  switch (row.status) {
    case 'deleting':
      if (state === 'missing') await finishDelete(db, row, null);
      else await removeOnHost(deps, row, null);
      return;
    case 'creating':
      // The create was lost (control plane restart, agent killed mid-create) or its result was:
      // re-sending is safe, the agent finds an existing container instead of making a second.
      // A role's container runs before its setup is done; only the create's answer says it is.
      if (state === 'running' && row.role === 'barebone') {
        await markRunning(db, row, observed, 'reconciled');
      } else {
        await launchContainer(deps, row);
      }
      return;
    case 'running':
    case 'stopped':
      if (state === 'missing') {
        await markError(db, row, 'container_missing', 'The host no longer has this container.');
      } else if (state === 'running' && row.desiredStatus === 'stopped') {
        await stopOnHost(deps, row);
      } else if (state !== 'running' && state !== 'paused' && row.status === 'running') {
        await markStopped(db, row, exitReason(observed, 'exited'), exitDetail(observed));
      }
      return;
    case 'error':
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

async function removeOrphan(
  deps: LifecycleDeps,
  hostId: string,
  container: ObservedContainer,
): Promise<void> {
  deps.log.warn(
    { host_id: hostId, container_id: container.container_id, state: container.state },
    'removing a container the database does not know',
  );
  const result = await deps.hub.sendCommand(
    hostId,
    container.container_id,
    { action: 'remove', remove_volume: true },
    COMMAND_TIMEOUT_MS.remove,
  );
  await recordEvent(deps.db, {
    type: 'container.orphan_removed',
    containerId: container.container_id,
    hostId,
    reason: 'orphan',
    detail: { ok: result.ok, state: container.state },
  });
}
