// The audit_log table: one row per state-changing API call, who made it (user and token), what it
// was (action and target), from where (address, user agent), its request id and outcome. No
// foreign keys: entries outlive the users and tokens they name. Rows older than the retention are
// deleted by lifecycle/audit-retention.ts, the only thing that ever deletes here.
import { bigserial, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    actorUserId: text('actor_user_id'),
    actorTokenId: text('actor_token_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    ip: text('ip').notNull(),
    userAgent: text('user_agent'),
    requestId: text('request_id').notNull(),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    statusCode: integer('status_code').notNull(),
    errorCode: text('error_code'),
  },
  (table) => [
    index('audit_log_at_idx').on(table.at),
    index('audit_log_actor_idx').on(table.actorUserId, table.id),
    index('audit_log_action_idx').on(table.action, table.id),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;
