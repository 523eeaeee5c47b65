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
import { ChannelTable, type ChannelLink, type SessionEndReason } from './channel-table.js';

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

/** What the holder of one open channel uses to reach the agent. */
export type TerminalLink = ChannelLink<ControlTerminalMessage>;

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
