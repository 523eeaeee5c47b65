// The exec channels of one agent session (PROTOCOL.md §9a): numbered 1, 2, … (never reused on the
// session, a number space of their own beside terminal channels), routing AGENT_EXEC_* messages
// and output frames to whoever started the exec, and telling every open one when the session ends.
// What an exec's output means is the exec runner's.
import {
  MAX_CHANNEL_ID,
  type AgentExecAttached,
  type AgentExecStatus,
  type ControlExecAttach,
  type ControlExecDetach,
  type ControlExecQuery,
  type AgentExecCredit,
  type AgentExecError,
  type AgentExecExit,
  type AgentExecStarted,
  type ControlExecCredit,
  type ControlExecSignal,
  type ControlExecStart,
  type ControlExecStdinEof,
} from '@rexec/protocol';
import type { SessionEndReason } from './terminal-channels.js';

export type AgentExecMessage =
  | AgentExecStarted
  | AgentExecExit
  | AgentExecError
  | AgentExecCredit
  | AgentExecAttached
  | AgentExecStatus;
export type ControlExecMessage =
  | ControlExecStart
  | ControlExecSignal
  | ControlExecCredit
  | ControlExecStdinEof
  | ControlExecAttach
  | ControlExecDetach
  | ControlExecQuery;

export type ExecStream = 'stdout' | 'stderr';

/** The runner's side of one channel; the hub calls it, never the other way round. */
export interface ExecEndpoint {
  message(message: AgentExecMessage): void;
  /** Output bytes of one stream; a view into the received frame, which is not reused. */
  data(stream: ExecStream, payload: Uint8Array): void;
  sessionEnded(reason: SessionEndReason): void;
}

/** What the runner holds for one open exec channel: the way to the agent. */
export interface ExecLink {
  readonly channel: number;
  readonly hostId: string;
  /** Sends a control message; dropped when the session has ended (the endpoint was told). */
  send(message: ControlExecMessage): void;
  /** Sends stdin bytes (1 … MAX_TERMINAL_CHUNK_BYTES) as an EXEC_STDIN frame. */
  sendData(payload: Uint8Array): void;
  /** Forgets the channel here: nothing more is delivered to its endpoint. */
  release(): void;
}

export class ExecChannels {
  #next = 1;
  readonly #open = new Map<number, ExecEndpoint>();

  /** A fresh channel id for `endpoint`, or undefined once the 32-bit id space is used up. */
  open(endpoint: ExecEndpoint): number | undefined {
    if (this.#next > MAX_CHANNEL_ID) return undefined;
    const channel = this.#next++;
    this.#open.set(channel, endpoint);
    return channel;
  }

  release(channel: number): void {
    this.#open.delete(channel);
  }

  /** Messages and data for a channel that has ended are dropped: they can cross the end. */
  deliver(message: AgentExecMessage): void {
    const endpoint = this.#open.get(message.channel);
    if (endpoint === undefined) return;
    // EXIT, ERROR and STATUS end the channel on the agent; later frames for it are stale.
    if (
      message.type === 'AGENT_EXEC_EXIT' ||
      message.type === 'AGENT_EXEC_ERROR' ||
      message.type === 'AGENT_EXEC_STATUS'
    ) {
      this.#open.delete(message.channel);
    }
    endpoint.message(message);
  }

  deliverData(channel: number, stream: ExecStream, payload: Uint8Array): void {
    this.#open.get(channel)?.data(stream, payload);
  }

  /** Ends every channel once; the session can carry no more. */
  endAll(reason: SessionEndReason): void {
    const endpoints = [...this.#open.values()];
    this.#open.clear();
    this.#next = MAX_CHANNEL_ID + 1;
    for (const endpoint of endpoints) endpoint.sessionEnded(reason);
  }
}
