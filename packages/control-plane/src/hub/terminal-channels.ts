// The terminal channels of one agent session (PROTOCOL.md §9): numbers them (1, 2, … never reused
// on the session), routes the agent's AGENT_TERMINAL_* messages and binary frames to whoever opened
// the channel, and tells every open channel when the session ends. What a channel carries, and
// the flow control on it, is the terminal relay's.
import {
  type ControlTerminalClose,
  type ControlTerminalCredit,
  type ControlTerminalOpen,
  type ControlTerminalResize,
  type AgentTerminalCredit,
  type AgentTerminalError,
  type AgentTerminalExit,
  type AgentTerminalOpened,
} from '@rexec/protocol';
import { ChannelTable, type SessionEndReason } from './channel-table.js';

export type AgentTerminalMessage =
  AgentTerminalOpened | AgentTerminalExit | AgentTerminalError | AgentTerminalCredit;

export type ControlTerminalMessage =
  ControlTerminalOpen | ControlTerminalResize | ControlTerminalClose | ControlTerminalCredit;

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

export class TerminalChannels extends ChannelTable<AgentTerminalMessage, TerminalEndpoint> {
  constructor() {
    super(
      // EXIT and ERROR end the channel on the agent; later frames for it are stale.
      (message) =>
        message.type === 'AGENT_TERMINAL_EXIT' || message.type === 'AGENT_TERMINAL_ERROR',
    );
  }

  deliverData(channel: number, payload: Uint8Array): void {
    this.endpoint(channel)?.data(payload);
  }
}
