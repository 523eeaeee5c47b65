// The host_join_tokens table: one-time secrets an admin hands to a new agent, stored hashed with an
// expiry. Exchanging one for a host credential is the agent hub's job (a later issue).
import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const hostJoinTokens = pgTable('host_join_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type HostJoinTokenRow = typeof hostJoinTokens.$inferSelect;
