// A lost host that comes back: on its HELLO, before reconciliation, each of its `error`/`host_lost`
// containers takes the state the agent reports (running, stopped, or `error`/`container_missing`
// when the host no longer has it) and its reservation on the host again, in one transaction.
// Reconciliation then brings it in line with what its owner wants, as for any other row.
import type { ObservedContainer } from '@rexec/protocol';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import { hosts } from '../db/schema/hosts.js';
import type { EstablishedHost } from '../hub/hub.js';
import { recordEvent } from '../services/events.js';
import type { LifecycleDeps } from './actions.js';
import { exitDetail, exitReason } from './outcomes.js';
import { engineState } from './reconcile-table.js';
import { sessionEnd, sessionHours, transition } from './transitions.js';

/** Restores the host's lost containers from its inventory; returns how many came back. */
export async function restoreLostContainers(
  deps: LifecycleDeps,
  host: EstablishedHost,
): Promise<number> {
  const lost = await deps.db
    .select()
    .from(containers)
    .where(
      and(
        eq(containers.hostId, host.hostId),
        eq(containers.status, 'error'),
        eq(containers.statusReason, 'host_lost'),
        isNull(containers.deletedAt),
      ),
    );
  if (lost.length === 0) return 0;
  const observed = new Map(host.hello.inventory.map((c) => [c.container_id, c]));
  const hours = new Map<string, number | null>();
  for (const row of lost) {
    if (!hours.has(row.userId)) hours.set(row.userId, await sessionHours(deps.db, row.userId));
  }
  return deps.db.transaction(async (tx) => {
    const back: ContainerRow[] = [];
    for (const row of lost) {
      const restored = await restoreOne(tx, row, observed.get(row.id), hours.get(row.userId));
      if (restored !== null) back.push(restored);
    }
    const sum = (pick: (row: ContainerRow) => number) => back.reduce((n, r) => n + pick(r), 0);
    if (back.length > 0) {
      // The host had them all along: its reservation may exceed its capacity until some go.
      await tx
        .update(hosts)
        .set({
          reservedCpuMillicores: sql`${hosts.reservedCpuMillicores} + ${sum((r) => r.cpuMillicores)}`,
          reservedMemoryMb: sql`${hosts.reservedMemoryMb} + ${sum((r) => r.memoryMb)}`,
          reservedDiskMb: sql`${hosts.reservedDiskMb} + ${sum((r) => r.diskMb)}`,
        })
        .where(eq(hosts.id, host.hostId));
      await recordEvent(tx, {
        type: 'host.returned',
        hostId: host.hostId,
        reason: 'reconciled',
        detail: { containers: back.length },
      });
    }
    return back.length;
  });
}

/** One container back to what the engine says; null when its state is unknown (left lost). */
async function restoreOne(
  tx: Db,
  row: ContainerRow,
  observed: ObservedContainer | undefined,
  hours: number | null | undefined,
): Promise<ContainerRow | null> {
  const now = new Date();
  switch (engineState(observed?.state)) {
    case 'running':
      return transition(tx, row, {
        to: 'running',
        reason: null,
        eventReason: 'reconciled',
        columns: {
          startedAt: observed?.started_at == null ? now : new Date(observed.started_at),
          sessionExpiresAt: sessionEnd(hours ?? null, now),
        },
      });
    case 'exited':
      return transition(tx, row, {
        to: 'stopped',
        reason: exitReason(observed, 'exited'),
        detail: exitDetail(observed),
        eventReason: 'reconciled',
        columns: { stoppedAt: now, sessionExpiresAt: null },
      });
    case 'missing':
      return missing(tx, row);
    case 'unknown':
      return null;
  }
}

/** Still `error`, but now for a reason of its own: it counts and reserves again until deleted. */
async function missing(tx: Db, row: ContainerRow): Promise<ContainerRow | null> {
  const [updated] = await tx
    .update(containers)
    .set({
      statusReason: 'container_missing',
      statusDetail: 'Its host came back without this container.',
    })
    .where(
      and(
        eq(containers.id, row.id),
        eq(containers.status, 'error'),
        eq(containers.statusReason, 'host_lost'),
        isNull(containers.deletedAt),
      ),
    )
    .returning();
  if (updated === undefined) return null;
  await recordEvent(tx, {
    type: 'container.error',
    containerId: row.id,
    hostId: row.hostId,
    reason: 'container_missing',
    detail: { from: 'error', was: 'host_lost' },
  });
  return updated;
}
