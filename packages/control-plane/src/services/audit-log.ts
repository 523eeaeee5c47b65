// Writes, lists and sweeps the audit log. Callers say what happened; deciding which calls are
// audited and how an HTTP request becomes an entry is http/audit-hook.ts's. `db` may be a
// transaction, so a change and its entry can commit together.
import { and, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';
import { auditLog, type AuditLogRow } from '../db/schema/audit-log.js';

export type AuditInput = Omit<typeof auditLog.$inferInsert, 'id' | 'at'>;

export async function recordAudit(db: Db, entry: AuditInput): Promise<void> {
  await db.insert(auditLog).values(entry);
}

export interface AuditFilter {
  /** Entries with ids below this one (the previous page's last id). */
  before?: number;
  actorUserId?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

/** Newest first, at most `limit`. */
export async function listAudit(
  db: Db,
  filter: AuditFilter,
  limit: number,
): Promise<AuditLogRow[]> {
  const conditions: SQL[] = [];
  if (filter.before !== undefined) conditions.push(lt(auditLog.id, filter.before));
  if (filter.actorUserId !== undefined)
    conditions.push(eq(auditLog.actorUserId, filter.actorUserId));
  if (filter.action !== undefined) conditions.push(eq(auditLog.action, filter.action));
  if (filter.since !== undefined) conditions.push(gte(auditLog.at, filter.since));
  if (filter.until !== undefined) conditions.push(lte(auditLog.at, filter.until));
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(limit);
}

/** Names the advisory lock only the sweeping replica holds (any stable 64-bit number). */
const SWEEP_LOCK = sql`hashtextextended('rexec.audit_retention', 0)`;

/**
 * Deletes entries older than `retentionDays`. Returns how many, or null when another replica is
 * sweeping right now (it holds the lock; this one leaves the work to it).
 */
export async function sweepAudit(db: Db, retentionDays: number): Promise<number | null> {
  return db.transaction(async (tx) => {
    const [row] = await selectRows<{ locked: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as locked`,
    );
    if (row?.locked !== true) return null;
    const deleted = await tx
      .delete(auditLog)
      .where(lt(auditLog.at, sql`now() - make_interval(days => ${retentionDays})`))
      .returning({ id: auditLog.id });
    return deleted.length;
  });
}
