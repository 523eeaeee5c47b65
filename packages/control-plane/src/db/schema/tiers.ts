// The tiers table: per-container maxima and defaults, container count, session length, idle stop
// and rate budgets of each tier (DESIGN §4, §8.4). Default rows are seeded by services/tiers.ts, not by a
// migration, so an admin's edits survive upgrades. A check keeps every default within its maximum
// even when two admin edits race.
import type { NetworkEgress } from '@rexec/protocol';
import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const TIER_DEFAULTS_CHECK = 'tiers_defaults_within_maxima';

export const tiers = pgTable(
  'tiers',
  {
    name: text('name').primaryKey(),
    cpuMillicores: integer('cpu_millicores').notNull(),
    memoryMb: integer('memory_mb').notNull(),
    diskMb: integer('disk_mb').notNull(),
    networkMbps: integer('network_mbps').notNull(),
    /** What a create that omits a resource gets; never above the maximum beside it. */
    defaultCpuMillicores: integer('default_cpu_millicores').notNull(),
    defaultMemoryMb: integer('default_memory_mb').notNull(),
    defaultDiskMb: integer('default_disk_mb').notNull(),
    defaultNetworkMbps: integer('default_network_mbps').notNull(),
    /** `internet` (public addresses only) or `none`; a create may narrow it, never widen it. */
    networkEgress: text('network_egress').$type<NetworkEgress>().notNull().default('internet'),
    maxContainers: integer('max_containers').notNull(),
    /** Null means sessions never expire. */
    sessionHours: integer('session_hours'),
    /** Minutes without activity after which a running container is stopped; null: never. */
    idleStopMinutes: integer('idle_stop_minutes'),
    rateCreatePerMin: integer('rate_create_per_min').notNull(),
    rateOpsPerMin: integer('rate_ops_per_min').notNull(),
    rateListPerMin: integer('rate_list_per_min').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    check('tiers_network_egress_check', sql`${table.networkEgress} in ('internet', 'none')`),
    check(
      'tiers_idle_stop_minutes_check',
      // MAX_IDLE_STOP_MINUTES of @rexec/protocol, written out: drizzle-kit reads this file alone.
      sql`${table.idleStopMinutes} between 1 and 43200`,
    ),
    check(
      TIER_DEFAULTS_CHECK,
      sql`${table.defaultCpuMillicores} between 1 and ${table.cpuMillicores}
        and ${table.defaultMemoryMb} between 1 and ${table.memoryMb}
        and ${table.defaultDiskMb} between 1 and ${table.diskMb}
        and ${table.defaultNetworkMbps} between 1 and ${table.networkMbps}`,
    ),
  ],
);

export type TierRow = typeof tiers.$inferSelect;
