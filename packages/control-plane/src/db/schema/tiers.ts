// The tiers table: per-container maxima, container count, session length and rate budgets of each
// tier (DESIGN §4). Default rows are seeded by services/tiers.ts, not by a migration, so an admin's
// edits survive upgrades.
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const tiers = pgTable('tiers', {
  name: text('name').primaryKey(),
  cpuMillicores: integer('cpu_millicores').notNull(),
  memoryMb: integer('memory_mb').notNull(),
  diskMb: integer('disk_mb').notNull(),
  networkMbps: integer('network_mbps').notNull(),
  maxContainers: integer('max_containers').notNull(),
  /** Null means sessions never expire. */
  sessionHours: integer('session_hours'),
  rateCreatePerMin: integer('rate_create_per_min').notNull(),
  rateOpsPerMin: integer('rate_ops_per_min').notNull(),
  rateListPerMin: integer('rate_list_per_min').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type TierRow = typeof tiers.$inferSelect;
