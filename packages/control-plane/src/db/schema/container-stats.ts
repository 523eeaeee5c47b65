// The container_stats table: the latest cpu, memory, pids and network sample of each container,
// as its host's agent last sent it in a heartbeat (one row per container, replaced in place).
// Disk usage stays on the containers row (the disk monitor's); the stats route reads both.
import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { containers } from './containers.js';

export const containerStats = pgTable(
  'container_stats',
  {
    containerId: text('container_id')
      .primaryKey()
      .references(() => containers.id, { onDelete: 'cascade' }),
    /** CPU over the agent's last sampling interval; 1000 = one core busy. */
    cpuMillicores: integer('cpu_millicores'),
    memoryBytes: bigint('memory_bytes', { mode: 'number' }),
    /** The engine's limit; null when it reported none (then the container's memory_mb applies). */
    memoryLimitBytes: bigint('memory_limit_bytes', { mode: 'number' }),
    pids: integer('pids'),
    netRxBytes: bigint('net_rx_bytes', { mode: 'number' }),
    netTxBytes: bigint('net_tx_bytes', { mode: 'number' }),
    /** The control plane's clock when the heartbeat carrying the sample arrived. */
    sampledAt: timestamp('sampled_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [
    check(
      'container_stats_non_negative',
      sql`${table.cpuMillicores} >= 0 and ${table.memoryBytes} >= 0 and ${table.pids} >= 0`,
    ),
  ],
);

export type ContainerStatsRow = typeof containerStats.$inferSelect;
