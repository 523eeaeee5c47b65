// The hub's public shape: its options and dependencies, what it tells listeners (an established
// session, a status report, a late result, a command sent) and the Hub interface the lifecycle, the
// relays and main.ts use. The implementation is hub.ts's.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  AgentCommandResult,
  AgentContainerStatus,
  AgentHello,
  ContainerCommand,
  ObservedContainer,
} from '@rexec/protocol';
import type { ActivitySink } from '../activity/activity-tracker.js';
import type { Database } from '../db/open.js';
import type { IpLimits } from '../http/ip-limits.js';
import type { CommandChannel } from './channel.js';
import type { ExecEndpoint, ExecLink } from './exec-channels.js';
import type { FileEndpoint, FileLink } from './file-channels.js';
import type { Log } from './log.js';
import type { ReplicaPresence } from './replica-presence.js';
import type { TerminalEndpoint, TerminalLink } from './terminal-channels.js';

export interface HubOptions {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  watchdogTickMs?: number;
  /** HELLOs a host may send back to back, and how often one more is allowed (hello-throttle.ts). */
  helloBurst?: number;
  helloRefillMs?: number;
}

export interface EstablishedHost {
  hostId: string;
  hostName: string;
  hello: AgentHello;
  /**
   * Containers whose commands were still awaited when the session was established (and re-sent).
   * Their own results settle those rows, even if they arrive before reconciliation reads them.
   */
  inFlight: ReadonlySet<string>;
}

export type EstablishedListener = (host: EstablishedHost) => Promise<void>;
export type StatusListener = (hostId: string, report: AgentContainerStatus) => Promise<void>;
/** A result for a command no longer awaited: timed out here, or re-sent after a reconnect. */
export type LateResultListener = (hostId: string, result: AgentCommandResult) => Promise<void>;

export interface SentCommand {
  hostId: string;
  containerId: string;
  command: ContainerCommand;
  /** Settles with the agent's answer, or rejects on timeout or shutdown. */
  result: Promise<AgentCommandResult>;
}
/** Told synchronously of every command handed to the hub (the relay watches stops). */
export type CommandListener = (sent: SentCommand) => void;

export interface Hub extends CommandChannel {
  /** Takes one upgrade request for AGENT_CONNECT_PATH; the HTTP server routes upgrades by path. */
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  start(): void;
  /**
   * One sweep of hosts no live replica holds, awaited: main runs it before listening, so a
   * restarted control plane never shows the hosts of the process it replaced as online.
   */
  sweepNow(): Promise<void>;
  /** Closes every agent socket with SERVER_SHUTTING_DOWN and marks those hosts unreachable. */
  stop(): Promise<void>;
  /** Run after WELCOME (reconciliation); errors are logged. */
  onEstablished(listener: EstablishedListener): void;
  onContainerStatus(listener: StatusListener): void;
  onLateResult(listener: LateResultListener): void;
  /** Hosts with an established session on this process (each replica reconciles its own). */
  connectedHostIds(): string[];
  /**
   * Asks the host's agent for its inventory (CONTROL_INVENTORY_QUERY) and resolves with it and
   * when the query was sent; undefined when the host is not connected here or its agent did not
   * announce `inventory`. Rejects with InventoryQueryError on timeout or a lost session.
   */
  queryInventory(
    hostId: string,
    timeoutMs: number,
  ): Promise<{ inventory: ObservedContainer[]; sentAt: number }> | undefined;
  onCommandSent(listener: CommandListener): void;
  /**
   * Opens a terminal channel on the host's established session; undefined when the host is not
   * connected here. The endpoint hears the channel's messages until it ends or is released.
   */
  openTerminal(hostId: string, endpoint: TerminalEndpoint): TerminalLink | undefined;
  /** Opens an exec channel on the host's established session, like openTerminal. */
  openExec(hostId: string, endpoint: ExecEndpoint): ExecLink | undefined;
  /**
   * Opens a file channel like openExec; `'unsupported'` when the host's agent did not announce
   * the `files` capability in its HELLO (an older agent).
   */
  openFile(hostId: string, endpoint: FileEndpoint): FileLink | 'unsupported' | undefined;
}

export interface HubDependencies {
  database: Database;
  log: Log;
  options?: HubOptions;
  /**
   * This process's presence lock (replica-presence.ts). Without one, hosts record no replica and
   * only the silence sweep finds hosts left online by a dead process.
   */
  presence?: ReplicaPresence;
  /**
   * Per-address failed-authentication limits shared with the REST API (http/ip-limits.ts): a
   * refused host credential counts, and an address past its budget is refused with 429 before the
   * credential costs a database lookup. Without one, upgrades are not limited per address.
   */
  ipLimits?: IpLimits;
  /** The address an upgrade comes from, through trusted proxies (http/client-address.ts). */
  clientAddress?: (request: IncomingMessage) => string;
  /** Where heartbeats' CPU measures go (a busy container is not idle); nowhere when absent. */
  activity?: ActivitySink;
}
