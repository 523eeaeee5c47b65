// The events table: an append-only log of what happened to which container, host, user or token,
// when and why. No foreign keys on purpose: events must outlive the rows they mention. `tx_id` (the
// writing transaction's id) is what readers order and filter by (see services/event-reads.ts).
import { sql } from 'drizzle-orm';
import { bigserial, customType, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Postgres `xid8`, read as its decimal text: 64 bits, compared only inside SQL. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    actorUserId: text('actor_user_id'),
    containerId: text('container_id'),
    hostId: text('host_id'),
    type: text('type').notNull(),
    reason: text('reason'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    txId: xid8('tx_id')
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (table) => [
    index('events_container_idx').on(table.containerId, table.id),
    index('events_host_idx').on(table.hostId, table.id),
    index('events_tx_idx').on(table.txId, table.id),
    index('events_container_tx_idx').on(table.containerId, table.txId, table.id),
  ],
);

export type EventRow = typeof events.$inferSelect;
