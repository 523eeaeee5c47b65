// The events table: an append-only audit log of who did what to which container or host, when and
// why. No foreign keys on purpose: events must outlive the rows they mention.
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
  },
  (table) => [
    index('events_container_idx').on(table.containerId, table.id),
    index('events_host_idx').on(table.hostId, table.id),
  ],
);

export type EventRow = typeof events.$inferSelect;
