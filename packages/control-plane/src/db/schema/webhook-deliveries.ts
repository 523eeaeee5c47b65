// The webhook outbox: one row per (webhook, event), inserted in the transaction that writes the
// event. A dispatcher leases due rows with FOR UPDATE SKIP LOCKED, so replicas never send the same
// row at once; `ordering_key` (the container, else the host) keeps deliveries of one webhook in
// event order per container. Rows go with their webhook.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { webhooks } from './webhooks.js';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    /** The event's container id, else its host id, else '' (one queue for the rest). */
    orderingKey: text('ordering_key').notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
    /** A replica sending this row holds it until then; a crashed sender's lease simply lapses. */
    leasedUntil: timestamp('leased_until', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [
    check(
      'webhook_deliveries_status_check',
      sql`${table.status} in ('pending', 'delivered', 'failed')`,
    ),
    index('webhook_deliveries_due_idx')
      .on(table.nextAttemptAt, table.id)
      .where(sql`${table.status} = 'pending'`),
    index('webhook_deliveries_queue_idx')
      .on(table.webhookId, table.orderingKey, table.id)
      .where(sql`${table.status} = 'pending'`),
    index('webhook_deliveries_webhook_idx').on(table.webhookId, table.id),
  ],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
