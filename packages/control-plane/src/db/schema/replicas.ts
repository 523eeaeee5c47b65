// The replicas table: each control plane process on a shared Postgres, by its random replica id,
// with the URL other replicas reach it at (REXEC_ADVERTISE_URL). A replica writes its row at start,
// refreshes last_seen_at while it runs and deletes it when it stops; whether it is alive is told
// by its presence lock (hub/replica-presence.ts), never by the row alone. Terminals for a host
// held by another replica are forwarded to that replica's URL (hub/replica-registry.ts).
import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const replicas = pgTable('replicas', {
  id: text('id').primaryKey(),
  advertiseUrl: text('advertise_url').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, precision: 3 })
    .notNull()
    .defaultNow(),
});
