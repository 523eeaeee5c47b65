// The relayed_commands table: container commands (create, start, stop, delete, …) asked on one
// replica for a host whose agent socket another replica holds. The asking replica inserts a row and
// notifies; the holding replica claims it (once: FOR UPDATE SKIP LOCKED), sends it through its hub,
// and writes the agent's result or why there is none; the asker reads that and records the outcome
// as it would for a host of its own (hub/command-relay.ts). Rows go once acknowledged, or after an
// hour when their asker died.
import { boolean, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { AgentCommandResult, ContainerCommand } from '@rexec/protocol';
import { hosts } from './hosts.js';

export const relayedCommands = pgTable(
  'relayed_commands',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    containerId: text('container_id').notNull(),
    command: jsonb('command').$type<ContainerCommand>().notNull(),
    /** The replica that asked and waits for the result. */
    requestedBy: text('requested_by').notNull(),
    /** After this the asker has given up: the row is not claimed any more. */
    deadline: timestamp('deadline', { withTimezone: true, precision: 3 }).notNull(),
    /** The replica that sent it to the agent (or `cancelled` by the asker before anyone did). */
    claimedBy: text('claimed_by'),
    result: jsonb('result').$type<AgentCommandResult>(),
    /** `timeout` (the agent did not answer in time) or `unavailable` (the host went away). */
    failure: text('failure'),
    /** The asker recorded the result: the holder passes CONTROL_RESULT_ACK on and deletes the row. */
    acknowledged: boolean('acknowledged').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('relayed_commands_host_open').on(table.hostId, table.claimedBy)],
);

export type RelayedCommandRow = typeof relayedCommands.$inferSelect;
