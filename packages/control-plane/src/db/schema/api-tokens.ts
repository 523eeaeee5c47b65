// The api_tokens table: only the SHA-256 hash and a short prefix of each token are kept, so a
// database leak does not leak credentials. `scopes` bound what the token may do (the HTTP layer maps
// routes to scopes); `expires_at` null means the token never expires.
import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { TokenScope } from '@rexec/protocol';
import { users } from './users.js';

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    tokenPrefix: text('token_prefix').notNull(),
    scopes: text('scopes')
      .array()
      .$type<TokenScope[]>()
      .notNull()
      .default(sql`'{read,write}'::text[]`),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [index('api_tokens_user_id_idx').on(table.userId)],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;
