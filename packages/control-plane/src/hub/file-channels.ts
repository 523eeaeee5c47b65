// The file channels of one agent session (PROTOCOL.md §9c): numbered 1, 2, … in a number space of
// their own (never reused on the session), routing AGENT_FILE_* messages and FILE_DATA frames to
// whoever opened the channel, and telling every open one when the session ends. What a transfer
// means is the file service's.
import {
  type AgentFileCredit,
  type AgentFileDone,
  type AgentFileError,
  type AgentFileReady,
  type ControlFileCancel,
  type ControlFileCredit,
  type ControlFileEof,
  type ControlFileOpen,
} from '@rexec/protocol';
import { ChannelTable, type ChannelLink, type SessionEndReason } from './channel-table.js';

export type AgentFileMessage = AgentFileReady | AgentFileCredit | AgentFileDone | AgentFileError;
export type ControlFileMessage =
  ControlFileOpen | ControlFileEof | ControlFileCancel | ControlFileCredit;

/** The file service's side of one channel; the hub calls it, never the other way round. */
export interface FileEndpoint {
  message(message: AgentFileMessage): void;
  /** Read bytes; a view into the received frame, which is not reused. */
  data(payload: Uint8Array): void;
  sessionEnded(reason: SessionEndReason): void;
}

/** What the holder of one open channel uses to reach the agent. */
export type FileLink = ChannelLink<ControlFileMessage>;

export class FileChannels extends ChannelTable<AgentFileMessage, FileEndpoint> {
  constructor() {
    super((message) => message.type === 'AGENT_FILE_DONE' || message.type === 'AGENT_FILE_ERROR');
  }

  deliverData(channel: number, payload: Uint8Array): void {
    this.endpoint(channel)?.data(payload);
  }
}
