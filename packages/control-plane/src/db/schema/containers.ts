// The containers table: desired state (what the user asked for), observed status (what the API
// shows), the reason for the last change, placement and the resources reserved for it. Rows are
// soft-deleted (deleted_at) so events and reconciliation can still refer to them.
import type { NetworkEgress } from '@rexec/protocol';
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { hosts } from './hosts.js';
import { users } from './users.js';

export type ContainerStatus = 'creating' | 'running' | 'stopped' | 'error' | 'deleting';
export type DesiredStatus = 'running' | 'stopped' | 'deleted';

/**
 * Reasons of an `error` whose host is gone (lost or removed): such a container holds no host
 * reservation and does not count against its owner's limit (migration 0015 counts the same way).
 */
export const HOST_GONE_REASONS = ['host_lost', 'host_removed'] as const;

export const containers = pgTable(
  'containers',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    image: text('image').notNull(),
    customImage: text('custom_image'),
    role: text('role').notNull(),
    desiredStatus: text('desired_status').$type<DesiredStatus>().notNull().default('running'),
    /**
     * Why the desired status became `stopped` (`user`, `session_expired`, `idle`): the reason a
     * stop that reconciliation has to finish (its command failed or its host was away) records.
     */
    desiredReason: text('desired_reason'),
    status: text('status').$type<ContainerStatus>().notNull().default('creating'),
    statusReason: text('status_reason'),
    statusDetail: text('status_detail'),
    /** The tail of the role setup's output (GET /containers/:id/logs); null before any setup. */
    setupLog: text('setup_log'),
    setupLogTruncated: boolean('setup_log_truncated').notNull().default(false),
    hostId: text('host_id').references(() => hosts.id),
    cpuMillicores: integer('cpu_millicores').notNull(),
    memoryMb: integer('memory_mb').notNull(),
    diskMb: integer('disk_mb').notNull(),
    networkMbps: integer('network_mbps').notNull(),
    /** Fixed at create from the request within its tier; the agent gets it in every create command. */
    networkEgress: text('network_egress').$type<NetworkEgress>().notNull().default('internet'),
    /** Disk in use as the host's agent last measured it (writable layer plus home volume). */
    diskUsedMb: integer('disk_used_mb'),
    usageMeasuredAt: timestamp('usage_measured_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }),
    stoppedAt: timestamp('stopped_at', { withTimezone: true, precision: 3 }),
    sessionExpiresAt: timestamp('session_expires_at', { withTimezone: true, precision: 3 }),
    /**
     * The last activity the control plane recorded (terminal input, exec, file transfer, CPU use),
     * written in coalesced batches (activity/). A start counts too: idle time runs from the later
     * of this and started_at.
     */
    lastActiveAt: timestamp('last_active_at', { withTimezone: true, precision: 3 }),
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [
    uniqueIndex('containers_user_name_live_idx')
      .on(table.userId, table.name)
      .where(sql`${table.deletedAt} is null`),
    index('containers_user_created_idx').on(table.userId, table.createdAt, table.id),
    index('containers_host_idx').on(table.hostId),
    check('containers_disk_used_non_negative', sql`${table.diskUsedMb} >= 0`),
    check('containers_network_egress_check', sql`${table.networkEgress} in ('internet', 'none')`),
  ],
);

/**
 * A container as services and the lifecycle pass it around. The setup log is left out: only the
 * logs route reads it (lifecycle/setup-log.ts), so code that builds rows need not invent one.
 */
export type ContainerRow = Omit<typeof containers.$inferSelect, 'setupLog' | 'setupLogTruncated'>;
