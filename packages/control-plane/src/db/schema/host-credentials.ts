// The host_credentials table: the long-lived secret each agent authenticates with, stored hashed and
// revocable. Issuing and checking credentials is the agent hub's job (a later issue).
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts.js';

export const hostCredentials = pgTable(
  'host_credentials',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    credentialHash: text('credential_hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [index('host_credentials_host_idx').on(table.hostId)],
);

export type HostCredentialRow = typeof hostCredentials.$inferSelect;
