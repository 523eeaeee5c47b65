// The users table. Authentication material lives in api_tokens; quotas come from the user's tier.
// A disabled user (disabled_at) keeps everything but cannot authenticate; a deleted one
// (deleted_at) has lost its tokens and containers and stays only so history can name it.
import { boolean, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tiers } from './tiers.js';

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').unique(),
  tier: text('tier')
    .notNull()
    .references(() => tiers.name, { onUpdate: 'cascade' }),
  isAdmin: boolean('is_admin').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  disabledAt: timestamp('disabled_at', { withTimezone: true, precision: 3 }),
  deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
});

export type UserRow = typeof users.$inferSelect;
