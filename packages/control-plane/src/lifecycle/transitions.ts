// The one place container status changes: which transitions are legal, the guarded UPDATE that
// applies one only if nobody changed the row meanwhile, and the events row every change gets.
// Deciding which change to make is the callers' (actions, reconciliation, status reports, reaper).
import { and, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import { columnList, columnsWithout, mapRow } from '../db/map-row.js';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';
import { containers, type ContainerRow, type ContainerStatus } from '../db/schema/containers.js';
import { hosts } from '../db/schema/hosts.js';
import { tiers } from '../db/schema/tiers.js';
import { users } from '../db/schema/users.js';
import { recordEvent } from '../services/events.js';

const ALLOWED: Record<ContainerStatus, readonly ContainerStatus[]> = {
  creating: ['running', 'stopped', 'error', 'deleting'],
  running: ['stopped', 'error', 'deleting'],
  stopped: ['running', 'error', 'deleting'],
  error: ['running', 'stopped', 'deleting'],
  // Only the final soft delete (finishDelete) leaves `deleting`.
  deleting: [],
};

/** Thrown when code asks for a transition the lifecycle does not have: a bug, never user input. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(from: ContainerStatus, to: ContainerStatus) {
    super(`illegal container transition ${from} → ${to}`);
  }
}

export interface StatusChange {
  to: ContainerStatus;
  /** Why (DESIGN §3 status_reason); null for a plain `running`. */
  reason: string | null;
  /** Engine message or similar, shown to the owner as status detail. */
  detail?: string | null;
  /** The reason in the events row when it differs from the status reason (`created`, `started`). */
  eventReason?: string;
  actorUserId?: string | null;
  columns?: Partial<
    Pick<ContainerRow, 'desiredStatus' | 'startedAt' | 'stoppedAt' | 'sessionExpiresAt'>
  >;
}

// The row as services pass it around: every column but the setup log (see ContainerRow).
const ROW_COLUMNS = columnsWithout(containers, ['setupLog', 'setupLogTruncated']);
const COLUMNS = getTableColumns(containers);

/** @throws IllegalTransitionError when the lifecycle has no `from` → `to`. */
export function assertLegal(from: ContainerStatus, to: ContainerStatus): void {
  if (!ALLOWED[from].includes(to)) throw new IllegalTransitionError(from, to);
}

/**
 * Applies `change` to `row` if the row still has `row.status` and is not deleted; returns the new
 * row, or null when someone else changed it first. @throws IllegalTransitionError.
 * One statement (the update and its events row as CTEs, atomic as any single statement): it runs
 * once per create and per report, and a transaction around two statements was four round trips.
 */
export async function transition(
  db: Db,
  row: ContainerRow,
  change: StatusChange,
): Promise<ContainerRow | null> {
  assertLegal(row.status, change.to);
  const values: Partial<Record<keyof typeof COLUMNS, unknown>> = {
    status: change.to,
    statusReason: change.reason,
    statusDetail: change.detail ?? null,
    ...change.columns,
  };
  const assignments = Object.entries(values).map(([key, value]) => {
    const column = COLUMNS[key as keyof typeof COLUMNS];
    const encoded = value === null || value === undefined ? null : sql.param(value, column);
    return sql`${sql.identifier(column.name)} = ${encoded}`;
  });
  const detail = {
    from: row.status,
    ...(change.detail ? { detail: change.detail.slice(0, 2048) } : {}),
  };
  const [updated] = await selectRows<Record<string, unknown>>(
    db,
    sql`with updated as (
          update containers set ${sql.join(assignments, sql`, `)}
          where id = ${row.id} and status = ${row.status} and deleted_at is null
          returning ${columnList(ROW_COLUMNS)}
        ),
        logged as (
          insert into events (type, actor_user_id, container_id, host_id, reason, detail)
          select ${`container.${change.to}`}::text, ${change.actorUserId ?? null}::text,
            updated.id, ${row.hostId}::text, ${change.eventReason ?? change.reason}::text,
            ${JSON.stringify(detail)}::jsonb
          from updated
        )
        select * from updated`,
  );
  return updated === undefined ? null : mapRow<ContainerRow>(ROW_COLUMNS, updated);
}

/**
 * Names the cause of a stop already recorded as a plain `exited`: the agent's report that it
 * stopped the container itself (a disk quota) may come after the engine's exit event. Only that
 * reason is refined; a user's stop or an expiry keeps its own. Null when the row changed first.
 */
export async function refineStopReason(
  db: Db,
  row: ContainerRow,
  reason: string,
  detail: string | null,
): Promise<ContainerRow | null> {
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(containers)
      .set({ statusReason: reason, statusDetail: detail })
      .where(
        and(
          eq(containers.id, row.id),
          eq(containers.status, 'stopped'),
          eq(containers.statusReason, 'exited'),
          isNull(containers.deletedAt),
        ),
      )
      .returning();
    if (updated === undefined) return null;
    await recordEvent(tx, {
      type: 'container.stopped',
      containerId: row.id,
      hostId: row.hostId,
      reason,
      detail: {
        from: 'stopped',
        refines: 'exited',
        ...(detail === null ? {} : { detail: detail.slice(0, 2048) }),
      },
    });
    return updated;
  });
}

/**
 * The end of a delete: soft-deletes the row and gives its reservation back to its host, with an
 * event, all at once. False when the row was already gone (a concurrent finish won).
 */
export async function finishDelete(
  db: Db,
  row: ContainerRow,
  actorUserId: string | null,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [deleted] = await tx
      .update(containers)
      .set({ deletedAt: new Date(), desiredStatus: 'deleted', status: 'deleting' })
      .where(and(eq(containers.id, row.id), isNull(containers.deletedAt)))
      .returning();
    if (deleted === undefined) return false;
    if (deleted.hostId !== null) {
      await tx
        .update(hosts)
        .set({
          reservedCpuMillicores: sql`greatest(0, ${hosts.reservedCpuMillicores} - ${deleted.cpuMillicores})`,
          reservedMemoryMb: sql`greatest(0, ${hosts.reservedMemoryMb} - ${deleted.memoryMb})`,
          reservedDiskMb: sql`greatest(0, ${hosts.reservedDiskMb} - ${deleted.diskMb})`,
        })
        .where(eq(hosts.id, deleted.hostId));
    }
    await recordEvent(tx, {
      type: 'container.deleted',
      actorUserId,
      containerId: row.id,
      hostId: row.hostId,
      reason: actorUserId === null ? 'reconciled' : 'user',
    });
    return true;
  });
}

export async function loadContainer(db: Db, id: string): Promise<ContainerRow | undefined> {
  const [row] = await db
    .select()
    .from(containers)
    .where(and(eq(containers.id, id), isNull(containers.deletedAt)));
  return row;
}

/** The owner's tier's session length in hours; null for unlimited tiers. */
export async function sessionHours(db: Db, userId: string): Promise<number | null> {
  const [row] = await db
    .select({ hours: tiers.sessionHours })
    .from(users)
    .innerJoin(tiers, eq(tiers.name, users.tier))
    .where(eq(users.id, userId));
  return row?.hours ?? null;
}

/** When a session started at `now` ends after `hours`; null for unlimited. */
export function sessionEnd(hours: number | null, now = new Date()): Date | null {
  return hours === null ? null : new Date(now.getTime() + hours * 3_600_000);
}
