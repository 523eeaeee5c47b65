// Every JSON message an agent sends the control plane, and their union on `type`. Unknown fields
// are dropped (newer agents may add optional ones); an unknown `type` is a decode error. Sending,
// ordering and timing rules are in PROTOCOL.md; the socket handling is the agent's and hub's.
import { z } from 'zod';
import { ContainerId, Timestamp } from '../api/common.js';
import { MAX_INVENTORY_CONTAINERS } from '../constants.js';
import {
  DetailText,
  HostName,
  HumanMessage,
  OpaqueId,
  SnakeCode,
  VersionString,
} from '../fields.js';
import { CommandError, ObservedContainer } from './container-values.js';
import {
  AgentCapabilities,
  ContainerUsage,
  HostCapacity,
  HostHealth,
  HostPlatform,
  HostStorage,
  HostUsage,
  RuntimeInfo,
} from './host-values.js';
import { AgentExecCredit, AgentExecError, AgentExecExit, AgentExecStarted } from './exec-relay.js';
import { AgentExecAttached, AgentExecStatus } from './exec-attach.js';
import { AgentFileCredit, AgentFileDone, AgentFileError, AgentFileReady } from './file-relay.js';
import {
  AgentTerminalCredit,
  AgentTerminalError,
  AgentTerminalExit,
  AgentTerminalOpened,
} from './terminal-relay.js';

/** Every container labelled with the host's id, whatever its state, each id at most once. */
const Inventory = z
  .array(ObservedContainer)
  .max(MAX_INVENTORY_CONTAINERS)
  .superRefine((inventory, ctx) => {
    const seen = new Set<string>();
    inventory.forEach((container, index) => {
      if (seen.has(container.container_id)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'container_id'],
          message: `container ${container.container_id} is listed twice`,
        });
      }
      seen.add(container.container_id);
    });
  });

/** First message on every connection: who the agent is and everything it runs right now. */
export const AgentHello = z.object({
  type: z.literal('AGENT_HELLO'),
  /** Any positive version decodes, so an unsupported one is refused by name, not as garbage. */
  protocol_version: z.int().min(1).max(65_535),
  agent_version: VersionString,
  /** Random per agent process: a new value means the agent restarted and its shells are gone. */
  instance_id: OpaqueId,
  host_name: HostName,
  runtime: RuntimeInfo,
  capacity: HostCapacity,
  /**
   * What the agent measured on the machine before the operator's REXEC_CAPACITY_* overrides:
   * the control plane caps `capacity` to it (an override above the machine is a mistake or a lie).
   */
  measured_capacity: HostCapacity.optional(),
  /** Every container labelled with this host's id, whatever its state. */
  inventory: Inventory,
  capabilities: AgentCapabilities.optional(),
  platform: HostPlatform.optional(),
  /** The agent's checks of its host; absent from older agents, which count as healthy. */
  health: HostHealth.optional(),
});
export type AgentHello = z.infer<typeof AgentHello>;

/** Sent every heartbeat interval; any message counts as a sign of life, this one carries usage. */
export const AgentHeartbeat = z.object({
  type: z.literal('AGENT_HEARTBEAT'),
  /** Counts up from 0 on each connection. */
  seq: z.int().nonnegative(),
  usage: HostUsage,
  containers: z.array(ContainerUsage).max(MAX_INVENTORY_CONTAINERS).optional(),
  /** The engine storage's free space; absent from agents that do not measure it. */
  storage: HostStorage.optional(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

const resultBase = {
  type: z.literal('AGENT_COMMAND_RESULT'),
  command_id: OpaqueId,
  container_id: ContainerId,
  /** True when answered from the replay cache or by finding the work already done. */
  replayed: z.boolean().optional(),
};

/** Success: the container as it is now (`missing` after a remove). */
export const AgentCommandSucceeded = z
  .object({ ...resultBase, ok: z.literal(true), container: ObservedContainer })
  .refine((result) => result.container.container_id === result.container_id, {
    path: ['container', 'container_id'],
    message: 'must equal the command result container_id',
  });
export type AgentCommandSucceeded = z.infer<typeof AgentCommandSucceeded>;

/** Failure: why, and the container as it is now when the agent could tell. */
export const AgentCommandFailed = z
  .object({
    ...resultBase,
    ok: z.literal(false),
    error: CommandError,
    container: ObservedContainer.optional(),
  })
  .refine(
    (result) =>
      result.container === undefined || result.container.container_id === result.container_id,
    { path: ['container', 'container_id'], message: 'must equal the command result container_id' },
  );
export type AgentCommandFailed = z.infer<typeof AgentCommandFailed>;

export const AgentCommandResult = z.discriminatedUnion('ok', [
  AgentCommandSucceeded,
  AgentCommandFailed,
]);
export type AgentCommandResult = z.infer<typeof AgentCommandResult>;

/** A change the agent saw on its own (exit, OOM kill, outside removal, setup progress). */
export const AgentContainerStatus = z.object({
  type: z.literal('AGENT_CONTAINER_STATUS'),
  container: ObservedContainer,
  /** `exited`, `oom_killed`, `removed`, … (CONTAINER_STATUS_REASONS lists the known ones). */
  reason: SnakeCode,
  detail: DetailText.optional(),
  at: Timestamp,
});
export type AgentContainerStatus = z.infer<typeof AgentContainerStatus>;

/** Answer to CONTROL_INVENTORY_QUERY: every container labelled with this host's id, as in HELLO. */
export const AgentInventory = z.object({
  type: z.literal('AGENT_INVENTORY'),
  query_id: OpaqueId,
  inventory: Inventory,
});
export type AgentInventory = z.infer<typeof AgentInventory>;

/** The agent is going away on purpose; its containers keep running. Close 4009 follows. */
export const AgentGoodbye = z.object({
  type: z.literal('AGENT_GOODBYE'),
  reason: SnakeCode,
  message: HumanMessage.optional(),
});
export type AgentGoodbye = z.infer<typeof AgentGoodbye>;

export const AgentMessage = z.discriminatedUnion('type', [
  AgentHello,
  AgentHeartbeat,
  AgentCommandResult,
  AgentContainerStatus,
  AgentInventory,
  AgentGoodbye,
  AgentTerminalOpened,
  AgentTerminalExit,
  AgentTerminalError,
  AgentTerminalCredit,
  AgentExecStarted,
  AgentExecExit,
  AgentExecError,
  AgentExecCredit,
  AgentExecAttached,
  AgentExecStatus,
  AgentFileReady,
  AgentFileCredit,
  AgentFileDone,
  AgentFileError,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;
export type AgentMessageType = AgentMessage['type'];
