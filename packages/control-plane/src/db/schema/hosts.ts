// The hosts table: connectivity (status), scheduling state, allocatable capacity and the sum of
// reservations of the containers placed there. Overbooking is prevented by the guarded UPDATE in
// scheduler/, not by a constraint: an agent may report a capacity that shrank below what is reserved.
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { HostHealthCheck } from '@rexec/protocol';

export type HostStatus = 'online' | 'unreachable';
/**
 * `unhealthy` is the control plane's, set while the agent reports a failed required check;
 * `pending` is a host that joined under REXEC_HOST_APPROVAL=manual and awaits an admin's approval.
 */
export type HostScheduling = 'active' | 'cordoned' | 'draining' | 'unhealthy' | 'pending';

/**
 * A labelled container the agent runs that the database does not know (after a restore from a
 * backup, say): stopped and kept with its volumes for an admin, never removed (API shape).
 */
export interface QuarantinedContainer {
  container_id: string;
  /** The engine state when the agent last said HELLO. */
  state: string;
  /** When it was first found unknown. */
  found_at: string;
}

/** How the host enforces disk and network limits, as its agent last said in HELLO (API shape). */
export interface HostEnforcement {
  disk: 'storage_opt' | 'monitor' | 'none';
  disk_check_seconds?: number;
  network_shaping: boolean;
  network_isolation: boolean;
  detail?: string;
  /** Absent in rows written before agents reported it: read as false. */
  user_namespaces?: boolean;
  user_namespaces_detail?: string;
}

export const hosts = pgTable(
  'hosts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status').$type<HostStatus>().notNull().default('unreachable'),
    scheduling: text('scheduling').$type<HostScheduling>().notNull().default('active'),
    capacityCpuMillicores: integer('capacity_cpu_millicores').notNull().default(0),
    capacityMemoryMb: integer('capacity_memory_mb').notNull().default(0),
    capacityDiskMb: integer('capacity_disk_mb').notNull().default(0),
    reservedCpuMillicores: integer('reserved_cpu_millicores').notNull().default(0),
    reservedMemoryMb: integer('reserved_memory_mb').notNull().default(0),
    reservedDiskMb: integer('reserved_disk_mb').notNull().default(0),
    runtimeKind: text('runtime_kind'),
    runtimeVersion: text('runtime_version'),
    agentVersion: text('agent_version'),
    /** Null until an agent that reports enforcement says HELLO. */
    enforcement: jsonb('enforcement').$type<HostEnforcement>(),
    /**
     * Set by an admin (POST /hosts/:id/trust): the scheduler may place containers here even while
     * the agent reports network_isolation false. Never set by an agent.
     */
    trusted: boolean('trusted').notNull().default(false),
    /** The agent's host checks at its last HELLO; null from agents that send none. */
    health: jsonb('health').$type<HostHealthCheck[]>(),
    /** Free MB in the engine's storage at a recent heartbeat; null until an agent reports it. */
    storageFreeMb: integer('storage_free_mb'),
    /** Under the agent's REXEC_MIN_FREE_DISK_MB: the agent refuses creates, the scheduler skips. */
    storageLow: boolean('storage_low').notNull().default(false),
    /**
     * The control plane process holding the host's socket while it is online (hub/replica-presence.ts):
     * a process that died without saying so is found by its released Postgres lock, not by time.
     */
    connectedReplica: text('connected_replica'),
    /** Unknown labelled containers at the last HELLO; empty when there are none. */
    quarantined: jsonb('quarantined').$type<QuarantinedContainer[]>().notNull().default([]),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index('hosts_name_idx').on(table.name),
    check('hosts_status_check', sql`${table.status} in ('online', 'unreachable')`),
    check(
      'hosts_scheduling_check',
      sql`${table.scheduling} in ('active', 'cordoned', 'draining', 'unhealthy', 'pending')`,
    ),
    check(
      'hosts_reserved_non_negative',
      sql`${table.reservedCpuMillicores} >= 0 and ${table.reservedMemoryMb} >= 0 and ${table.reservedDiskMb} >= 0`,
    ),
  ],
);

export type HostRow = typeof hosts.$inferSelect;
