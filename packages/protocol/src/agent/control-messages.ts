// Every JSON message the control plane sends an agent, and their union on `type`. Unknown fields
// are dropped (newer control planes may add optional ones); an unknown `type` is a decode error.
// When each is sent is in PROTOCOL.md; the hub decides, this file only fixes the shapes.
import { z } from 'zod';
import { ContainerId, HostId, Timestamp } from '../api/common.js';
import { HEARTBEAT_INTERVAL_BOUNDS_MS } from '../constants.js';
import { HostName, HumanMessage, OpaqueId, SnakeCode } from '../fields.js';
import { ContainerCommand } from './commands.js';
import { ControlCapabilities } from './host-values.js';
import {
  ControlExecCredit,
  ControlExecSignal,
  ControlExecStart,
  ControlExecStdinEof,
} from './exec-relay.js';
import { ControlExecAttach, ControlExecDetach, ControlExecQuery } from './exec-attach.js';
import {
  ControlFileCancel,
  ControlFileCredit,
  ControlFileEof,
  ControlFileOpen,
} from './file-relay.js';
import {
  ControlTerminalClose,
  ControlTerminalCredit,
  ControlTerminalOpen,
  ControlTerminalResize,
} from './terminal-relay.js';

/** Answer to a valid HELLO: the host's identity and the timing the agent must follow. */
export const ControlWelcome = z
  .object({
    type: z.literal('CONTROL_WELCOME'),
    protocol_version: z.int().min(1).max(65_535),
    host_id: HostId,
    host_name: HostName,
    /** Names this connection in both sides' logs. */
    connection_id: OpaqueId,
    heartbeat_interval_ms: z
      .int()
      .min(HEARTBEAT_INTERVAL_BOUNDS_MS.min)
      .max(HEARTBEAT_INTERVAL_BOUNDS_MS.max),
    /** Silence after which either side gives the other up. */
    heartbeat_timeout_ms: z.int().min(HEARTBEAT_INTERVAL_BOUNDS_MS.min).max(600_000),
    server_time: Timestamp,
    /** What this control plane does beyond v1's base (`result_ack`, `inventory`); absent: none. */
    capabilities: ControlCapabilities.optional(),
  })
  .refine((welcome) => welcome.heartbeat_timeout_ms > welcome.heartbeat_interval_ms, {
    path: ['heartbeat_timeout_ms'],
    message: 'must be longer than heartbeat_interval_ms',
  });
export type ControlWelcome = z.infer<typeof ControlWelcome>;

/** Answer to each heartbeat, so an agent can tell a dead control plane from a quiet one. */
export const ControlHeartbeatAck = z.object({
  type: z.literal('CONTROL_HEARTBEAT_ACK'),
  seq: z.int().nonnegative(),
  server_time: Timestamp,
});
export type ControlHeartbeatAck = z.infer<typeof ControlHeartbeatAck>;

/** Run one action on one container; commands for one container are executed in arrival order. */
export const ControlCommand = z
  .object({
    type: z.literal('CONTROL_COMMAND'),
    /** Replays reuse the id: the agent answers a known id from its cache instead of re-running. */
    command_id: OpaqueId,
    container_id: ContainerId,
    command: ContainerCommand,
  })
  .refine(
    (message) =>
      message.command.action !== 'create' ||
      message.command.spec.container_id === message.container_id,
    { path: ['command', 'spec', 'container_id'], message: 'must equal the command container_id' },
  );
export type ControlCommand = z.infer<typeof ControlCommand>;

/**
 * A command's result is recorded (or made moot by a newer inventory): the agent may forget it.
 * Sent only to an agent that announced `result_ack`.
 */
export const ControlResultAck = z.object({
  type: z.literal('CONTROL_RESULT_ACK'),
  command_id: OpaqueId,
});
export type ControlResultAck = z.infer<typeof ControlResultAck>;

/** Asks for the host's inventory now; sent only to an agent that announced `inventory`. */
export const ControlInventoryQuery = z.object({
  type: z.literal('CONTROL_INVENTORY_QUERY'),
  /** Echoed in the AGENT_INVENTORY that answers it. */
  query_id: OpaqueId,
});
export type ControlInventoryQuery = z.infer<typeof ControlInventoryQuery>;

/**
 * Why the control plane is about to close the socket, in more words than a close reason allows.
 * `code` is the close code's name in snake_case (`credential_revoked`, …).
 */
export const ControlRefuse = z.object({
  type: z.literal('CONTROL_REFUSE'),
  code: SnakeCode,
  message: HumanMessage,
  supported_protocol_versions: z.array(z.int().min(1).max(65_535)).max(16).optional(),
  /** With `hello_throttled`: the earliest a new HELLO from this host is taken. */
  retry_after_ms: z.int().nonnegative().max(86_400_000).optional(),
});
export type ControlRefuse = z.infer<typeof ControlRefuse>;

export const ControlMessage = z.discriminatedUnion('type', [
  ControlWelcome,
  ControlHeartbeatAck,
  ControlCommand,
  ControlResultAck,
  ControlInventoryQuery,
  ControlRefuse,
  ControlTerminalOpen,
  ControlTerminalResize,
  ControlTerminalClose,
  ControlTerminalCredit,
  ControlExecStart,
  ControlExecSignal,
  ControlExecCredit,
  ControlExecStdinEof,
  ControlExecAttach,
  ControlExecDetach,
  ControlExecQuery,
  ControlFileOpen,
  ControlFileEof,
  ControlFileCancel,
  ControlFileCredit,
]);
export type ControlMessage = z.infer<typeof ControlMessage>;
export type ControlMessageType = ControlMessage['type'];
