// The webhooks table: where a user (or an admin, for host events) wants events pushed, which event
// types or prefixes they want, and the signing secret. The secret is kept in clear because every
// delivery is signed with it (HMAC needs the key); it is shown to the API only once, at creation.
import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** Exact types (`container.stopped`), prefixes (`container`, `container.*`) or `*`. */
    events: text('events')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    description: text('description'),
    secret: text('secret').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('webhooks_user_idx').on(table.userId, table.createdAt)],
);

export type WebhookRow = typeof webhooks.$inferSelect;
