// Reads the events table back in a cursor-stable order. Ids come from a sequence, so a transaction
// can take id 12 and commit after another committed id 13; a reader paging by id alone would pass
// 12 and never see it. Rows are therefore ordered by (writing transaction id, id) and a read only
// returns rows whose transaction is older than the horizon below: every such row is final, and
// every row committed later sorts after them. Who may see what is decided here too; the wire shape
// is mappers.ts's, waking readers is event-wake.ts's.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';

/**
 * The oldest transaction that may still write events, as of the statement's snapshot: the oldest
 * one still running (the snapshot's xip), or the snapshot's xmax when none is. Transaction ids are
 * shared by every database of the server, but a transaction running in another database can never
 * write this one's events table, so it is left out: otherwise one open writer in any database of
 * the server (another application's, a backup restore's) would hold every event back. A running
 * transaction is known to be elsewhere only when pg_stat_activity shows it there; one it does not
 * show (ended since, prepared, or another role's that the server hides without
 * pg_read_all_stats) is counted as this database's and holds events back, which delays and never
 * loses them. The snapshot is the statement's own, so this must sit in the statement that reads.
 */
const EVENT_HORIZON = sql`(select coalesce(min(running.xid), pg_snapshot_xmax(pg_current_snapshot()))
    from pg_snapshot_xip(pg_current_snapshot()) as running(xid)
    where xid(running.xid) not in (
      select a.backend_xid from pg_stat_activity a
      where a.backend_xid is not null and a.datname is distinct from current_database()))`;

/** A place in the stable order; the zero position comes before every event. */
export interface EventPosition {
  /** The writing transaction's xid8, as decimal text. */
  txId: string;
  id: string;
}

export const START_POSITION: EventPosition = { txId: '0', id: '0' };

export interface EventFilter {
  /** Only events of this user's containers; null for every event (admins with `all=true`). */
  ownerUserId: string | null;
  /** Exact types and `group.*` prefixes; empty for every type. */
  types: readonly string[];
  containerId?: string;
}

export interface EventRecord {
  id: string;
  txId: string;
  type: string;
  at: Date;
  containerId: string | null;
  hostId: string | null;
  actorUserId: string | null;
  ownerUserId: string | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

/** Where the event with this id sits in the order; null when there is no such event. */
export async function positionOf(db: Db, id: string): Promise<EventPosition | null> {
  const [row] = await selectRows<{ tx_id: string }>(
    db,
    sql`select tx_id::text as tx_id from events where id = ${id}::bigint`,
  );
  return row === undefined ? null : { txId: row.tx_id, id };
}

/**
 * A position after every event that is final now: a stream that starts "from now" begins here, so
 * it may also deliver events committed a moment before it connected, never skip one after.
 */
export async function currentPosition(db: Db): Promise<EventPosition> {
  const [row] = await selectRows<{ horizon: string }>(
    db,
    sql`select ${EVENT_HORIZON}::text as horizon`,
  );
  // Every transaction below the horizon that wrote events has ended, so (horizon, 0) comes after
  // all of their rows.
  return { txId: row?.horizon ?? '0', id: '0' };
}

/** The last final event's position (any owner): what event-wake.ts watches for movement. */
export async function headPosition(db: Db): Promise<EventPosition> {
  const [row] = await selectRows<{ tx_id: string; id: string }>(
    db,
    // Ordered by the columns (e.), not by the text aliases of the same name: as text, '734' sorts
    // after '1086', and the head would stop moving once transaction ids gained a digit.
    sql`select e.tx_id::text as tx_id, e.id::text as id from events e
        where e.tx_id < ${EVENT_HORIZON}
        order by e.tx_id desc, e.id desc limit 1`,
  );
  return row === undefined ? START_POSITION : { txId: row.tx_id, id: row.id };
}

function typeCondition(types: readonly string[]): SQL | undefined {
  if (types.length === 0) return undefined;
  const exact = types.filter((type) => !type.endsWith('.*'));
  const prefixes = types.filter((type) => type.endsWith('.*')).map((type) => type.slice(0, -1));
  const parts: SQL[] = [];
  if (exact.length > 0) {
    parts.push(
      sql`e.type in (${sql.join(
        exact.map((type) => sql`${type}`),
        sql`, `,
      )})`,
    );
  }
  for (const prefix of prefixes) parts.push(sql`starts_with(e.type, ${prefix}::text)`);
  return sql`(${sql.join(parts, sql` or `)})`;
}

/** Up to `limit` final events after `after`, oldest first, that `filter` lets through. */
export async function readEvents(
  db: Db,
  filter: EventFilter,
  after: EventPosition,
  limit: number,
): Promise<EventRecord[]> {
  const conditions: SQL[] = [
    sql`e.tx_id < ${EVENT_HORIZON}`,
    sql`(e.tx_id, e.id) > (${after.txId}::xid8, ${after.id}::bigint)`,
  ];
  if (filter.ownerUserId !== null) conditions.push(sql`c.user_id = ${filter.ownerUserId}`);
  if (filter.containerId !== undefined) {
    conditions.push(sql`e.container_id = ${filter.containerId}`);
  }
  const types = typeCondition(filter.types);
  if (types !== undefined) conditions.push(types);
  const rows = await selectRows<{
    id: string;
    tx_id: string;
    type: string;
    at: Date | string;
    container_id: string | null;
    host_id: string | null;
    actor_user_id: string | null;
    owner_user_id: string | null;
    reason: string | null;
    detail: Record<string, unknown> | null;
  }>(
    db,
    sql`select e.id::text as id, e.tx_id::text as tx_id, e.type, e.at, e.container_id,
          e.host_id, e.actor_user_id, c.user_id as owner_user_id, e.reason, e.detail
        from events e left join containers c on c.id = e.container_id
        where ${sql.join(conditions, sql` and `)}
        order by e.tx_id, e.id
        limit ${limit}`,
  );
  return rows.map((row) => ({
    id: row.id,
    txId: row.tx_id,
    type: row.type,
    at: new Date(row.at),
    containerId: row.container_id,
    hostId: row.host_id,
    actorUserId: row.actor_user_id,
    ownerUserId: row.owner_user_id,
    reason: row.reason,
    detail: row.detail,
  }));
}
