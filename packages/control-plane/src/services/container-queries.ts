// Reading containers: one by id or name (only the caller's, only live ones), paginated listing with
// an opaque cursor, the count the tier limits, and usage for `GET /me`. Writes live in containers.ts.
import { and, count, eq, getTableColumns, isNull, sql, sum } from 'drizzle-orm';
import { columnNames, mapRow } from '../db/map-row.js';
import type { Db } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import { containers, type ContainerRow, type ContainerStatus } from '../db/schema/containers.js';
import { invalidRequest, notFound } from '../errors.js';
import { isId } from '../ids.js';

/** DESIGN §3 names: 1 to 63 of [a-z0-9-]; never overlaps an id (ids contain "_"). */
export const CONTAINER_NAME_PATTERN = /^[a-z0-9-]{1,63}$/;

/** The caller's live container by id or name. @throws RexecError not_found (also for others'). */
export async function getContainer(
  db: Db,
  userId: string,
  idOrName: string,
): Promise<ContainerRow> {
  let match;
  if (isId('ctr', idOrName)) match = eq(containers.id, idOrName);
  else if (CONTAINER_NAME_PATTERN.test(idOrName)) match = eq(containers.name, idOrName);
  else throw notFound('Container', idOrName);
  const [row] = await db
    .select()
    .from(containers)
    .where(and(match, eq(containers.userId, userId), isNull(containers.deletedAt)));
  if (row === undefined) throw notFound('Container', idOrName);
  return row;
}

export const CONTAINER_STATUSES: readonly ContainerStatus[] = [
  'creating',
  'running',
  'stopped',
  'error',
  'deleting',
];
export const MAX_LIST_LIMIT = 100;

export interface ListContainersOptions {
  status?: ContainerStatus;
  /** 1 to MAX_LIST_LIMIT. */
  limit: number;
  /** Opaque, from a previous page's nextCursor. */
  cursor?: string;
}

export interface ContainerPage {
  rows: ContainerRow[];
  /** Present when there may be more rows. */
  nextCursor: string | null;
}

/** Oldest first, stable under inserts. @throws RexecError invalid_request for a bad cursor/limit. */
export async function listContainers(
  db: Db,
  userId: string,
  options: ListContainersOptions,
): Promise<ContainerPage> {
  const { limit } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalidRequest(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`, [
      { path: 'limit', message: `expected 1 to ${MAX_LIST_LIMIT}` },
    ]);
  }
  if (options.status !== undefined && !CONTAINER_STATUSES.includes(options.status)) {
    throw invalidRequest(`Unknown status ${String(options.status)}.`, [
      { path: 'status', message: `expected one of ${CONTAINER_STATUSES.join(', ')}` },
    ]);
  }
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const byStatus = options.status !== undefined;
  const values: unknown[] = [userId];
  if (byStatus) values.push(options.status);
  // An ISO string, not a Date: both drivers read it as the same timestamptz.
  if (after !== undefined) values.push(after.createdAt.toISOString(), after.id);
  const paged = after !== undefined;
  const statement = byStatus
    ? paged
      ? LIST.statusAfter
      : LIST.statusFirst
    : paged
      ? LIST.allAfter
      : LIST.allFirst;
  values.push(limit + 1);
  const rows = (await queryPrepared(db, statement, values)).map((row) =>
    mapRow<ContainerRow>(CONTAINER_COLUMNS, row),
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last) : null;
  return { rows: page, nextCursor };
}

const CONTAINER_COLUMNS = getTableColumns(containers);

/**
 * Listing is the hottest read, so each of its four shapes (with or without a status filter and a
 * cursor) is a fixed text: on Postgres a named statement planned once per connection
 * (db/prepared.ts), with no per-database cache to keep. Oldest first, ties by id.
 */
function listStatement(byStatus: boolean, paged: boolean): PreparedStatement {
  const where = ['user_id = $1', 'deleted_at IS NULL'];
  let next = 2;
  if (byStatus) where.push(`status = $${next++}`);
  if (paged) {
    const [at, id] = [`$${next++}::timestamptz`, `$${next++}`];
    where.push(`(created_at > ${at} OR (created_at = ${at} AND id > ${id}))`);
  }
  return {
    name: `rexec_list_containers${byStatus ? '_status' : ''}${paged ? '_after' : ''}`,
    text: `SELECT ${columnNames(CONTAINER_COLUMNS)} FROM containers WHERE ${where.join(' AND ')}
      ORDER BY created_at, id LIMIT $${next}::int`,
  };
}

const LIST = {
  allFirst: listStatement(false, false),
  allAfter: listStatement(false, true),
  statusFirst: listStatement(true, false),
  statusAfter: listStatement(true, true),
};

interface Cursor {
  createdAt: Date;
  id: string;
}

// Timestamps are stored with millisecond precision, so a JS Date round-trips them exactly.
function encodeCursor(row: Pick<ContainerRow, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.createdAt.getTime(), row.id])).toString('base64url');
}

/** Years 1 to 9999: every timestamp a row can carry, within both JavaScript's and Postgres's range. */
const CURSOR_MIN_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z (Date.UTC maps year 1 to 1901)
const CURSOR_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function decodeCursor(cursor: string): Cursor {
  const invalid = invalidRequest('The cursor is not one this server issued.', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [ms, id] = parsed as unknown[];
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || typeof id !== 'string') throw invalid;
  // A Date (and Postgres) holds far less than a safe integer: out of range it is no cursor of ours.
  if (ms < CURSOR_MIN_MS || ms > CURSOR_MAX_MS) throw invalid;
  if (!isId('ctr', id)) throw invalid;
  return { createdAt: new Date(ms), id };
}

/** Not `error` because its host is gone (HOST_GONE_REASONS): what the tier's limits count. */
const HOLDS_QUOTA_SQL = `NOT (status = 'error' AND coalesce(status_reason, '') IN ('host_lost', 'host_removed'))`;
const holdsQuota = sql.raw(HOLDS_QUOTA_SQL);

const COUNT: PreparedStatement = {
  name: 'rexec_count_containers',
  text: `SELECT count(*)::int AS n FROM containers
    WHERE user_id = $1 AND deleted_at IS NULL AND ${HOLDS_QUOTA_SQL}`,
};

/** Non-deleted containers of the user that hold quota: what the tier's container count limits. */
export async function countContainers(db: Db, userId: string): Promise<number> {
  const [row] = await queryPrepared<{ n: number }>(db, COUNT, [userId]);
  return row?.n ?? 0;
}

export interface Usage {
  containers: number;
  cpu_millicores: number;
  memory_mb: number;
  disk_mb: number;
  /** Absent until at least one of the user's containers has been measured. */
  disk_used_mb?: number;
}

/**
 * What the user's non-deleted containers reserve, and the disk measured in use across those that
 * have a measurement, snake_case as in `GET /me`.
 */
export async function usage(db: Db, userId: string): Promise<Usage> {
  const [row] = await db
    .select({
      n: count(),
      cpu: sum(containers.cpuMillicores),
      memory: sum(containers.memoryMb),
      disk: sum(containers.diskMb),
      // sum() skips nulls and is null when every row is: no measurement yet.
      diskUsed: sum(containers.diskUsedMb),
    })
    .from(containers)
    .where(and(eq(containers.userId, userId), isNull(containers.deletedAt), holdsQuota));
  return {
    containers: row?.n ?? 0,
    cpu_millicores: Number(row?.cpu ?? 0),
    memory_mb: Number(row?.memory ?? 0),
    disk_mb: Number(row?.disk ?? 0),
    ...(row?.diskUsed == null ? {} : { disk_used_mb: Number(row.diskUsed) }),
  };
}
