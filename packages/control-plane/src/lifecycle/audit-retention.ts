// The audit retention sweep: a timer on every replica that deletes audit entries older than
// REXEC_AUDIT_RETENTION_DAYS. The sweep takes a transaction-scoped advisory lock, so only one
// replica deletes at a time and the others skip that round. Writing entries is others' work.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/open.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { sweepAudit } from '../services/audit-log.js';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const AUDIT_SWEEP_INTERVAL_MS = 3_600_000;

export interface AuditRetention {
  start(): void;
  stop(): Promise<void>;
  /** One sweep now; null when another replica held the lock. */
  sweepOnce(): Promise<number | null>;
}

export function createAuditRetention(
  deps: { db: Db; log: FastifyBaseLogger; retentionDays: number },
  intervalMs = AUDIT_SWEEP_INTERVAL_MS,
): AuditRetention {
  async function sweepOnce(): Promise<number | null> {
    const deleted = await sweepAudit(deps.db, deps.retentionDays);
    if (deleted !== null && deleted > 0) {
      deps.log.info({ deleted, retention_days: deps.retentionDays }, 'swept old audit entries');
    }
    return deleted;
  }

  const timer = createPeriodicPass(sweepOnce, {
    intervalMs,
    atStart: true,
    unref: true,
    // The next tick tries again; entries only stay a little longer than the retention.
    onError: (error) => deps.log.warn({ err: error }, 'audit retention sweep failed'),
  });
  return { start: () => timer.start(), stop: () => timer.stop(), sweepOnce };
}
