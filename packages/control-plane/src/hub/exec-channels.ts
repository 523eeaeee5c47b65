// The exec channels of one agent session (PROTOCOL.md §9a): numbered 1, 2, … (never reused on the
// session, a number space of their own beside terminal channels), routing AGENT_EXEC_* messages
// and output frames to whoever started the exec, and telling every open one when the session ends.
// What an exec's output means is the exec runner's.
import {
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
import { ChannelTable, type ChannelLink, type SessionEndReason } from './channel-table.js';

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

/** What the holder of one open channel uses to reach the agent. */
export type ExecLink = ChannelLink<ControlExecMessage>;

export class ExecChannels extends ChannelTable<AgentExecMessage, ExecEndpoint> {
  constructor() {
    super(
      // EXIT, ERROR and STATUS end the channel on the agent; later frames for it are stale.
      (message) =>
        message.type === 'AGENT_EXEC_EXIT' ||
        message.type === 'AGENT_EXEC_ERROR' ||
        message.type === 'AGENT_EXEC_STATUS',
    );
  }

  deliverData(channel: number, stream: ExecStream, payload: Uint8Array): void {
    this.endpoint(channel)?.data(stream, payload);
  }
}
