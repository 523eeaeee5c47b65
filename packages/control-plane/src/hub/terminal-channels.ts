// The terminal channels of one agent session (PROTOCOL.md §9): numbers them (1, 2, … never reused
// on the session), routes the agent's AGENT_TERMINAL_* messages and binary frames to whoever opened
// the channel, and tells every open channel when the session ends. What a channel carries, and
// the flow control on it, is the terminal relay's.
import {
  MAX_CHANNEL_ID,
  type ControlTerminalClose,
  type ControlTerminalCredit,
  type ControlTerminalOpen,
  type ControlTerminalResize,
  type AgentTerminalCredit,
  type AgentTerminalError,
  type AgentTerminalExit,
  type AgentTerminalOpened,
} from '@rexec/protocol';

export type AgentTerminalMessage =
  AgentTerminalOpened | AgentTerminalExit | AgentTerminalError | AgentTerminalCredit;

export type ControlTerminalMessage =
  ControlTerminalOpen | ControlTerminalResize | ControlTerminalClose | ControlTerminalCredit;

/** Why a session's channels ended: its socket closed or timed out, a newer one replaced it, or
 * this control plane is stopping. In every case the shells are out of reach from here. */
export type SessionEndReason = 'closed' | 'replaced' | 'stopping';

/** The relay's side of one channel; the hub calls it, never the other way round. */
export interface TerminalEndpoint {
  message(message: AgentTerminalMessage): void;
  /** Output bytes; a view into the received frame, which is not reused. */
  data(payload: Uint8Array): void;
  sessionEnded(reason: SessionEndReason): void;
}

/** What the relay holds for one open channel: the way to the agent. */
export interface TerminalLink {
  readonly channel: number;
  readonly hostId: string;
  /** Sends a control message; dropped when the session has ended (the endpoint was told). */
  send(message: ControlTerminalMessage): void;
  /** Sends input bytes (1 … MAX_TERMINAL_CHUNK_BYTES) with the channel header. */
  sendData(payload: Uint8Array): void;
  /** Forgets the channel here: nothing more is delivered to its endpoint. */
  release(): void;
}

export class TerminalChannels {
  #next = 1;
  readonly #open = new Map<number, TerminalEndpoint>();

  /** A fresh channel id for `endpoint`, or undefined once the 32-bit id space is used up. */
  open(endpoint: TerminalEndpoint): number | undefined {
    if (this.#next > MAX_CHANNEL_ID) return undefined;
    const channel = this.#next++;
    this.#open.set(channel, endpoint);
    return channel;
  }

  release(channel: number): void {
    this.#open.delete(channel);
  }

  get size(): number {
    return this.#open.size;
  }

  /** Messages and data for a channel that has ended are dropped: they can cross the end. */
  deliver(message: AgentTerminalMessage): void {
    const endpoint = this.#open.get(message.channel);
    if (endpoint === undefined) return;
    // EXIT and ERROR end the channel on the agent; later frames for it are stale.
    if (message.type === 'AGENT_TERMINAL_EXIT' || message.type === 'AGENT_TERMINAL_ERROR') {
      this.#open.delete(message.channel);
    }
    endpoint.message(message);
  }

  deliverData(channel: number, payload: Uint8Array): void {
    this.#open.get(channel)?.data(payload);
  }

  /** Ends every channel once; the session can carry no more. */
  endAll(reason: SessionEndReason): void {
    const endpoints = [...this.#open.values()];
    this.#open.clear();
    this.#next = MAX_CHANNEL_ID + 1;
    for (const endpoint of endpoints) endpoint.sessionEnded(reason);
  }
}
