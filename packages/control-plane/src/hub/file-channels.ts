// The file channels of one agent session (PROTOCOL.md §9c): numbered 1, 2, … in a number space of
// their own (never reused on the session), routing AGENT_FILE_* messages and FILE_DATA frames to
// whoever opened the channel, and telling every open one when the session ends. What a transfer
// means is the file service's.
import {
  MAX_CHANNEL_ID,
  type AgentFileCredit,
  type AgentFileDone,
  type AgentFileError,
  type AgentFileReady,
  type ControlFileCancel,
  type ControlFileCredit,
  type ControlFileEof,
  type ControlFileOpen,
} from '@rexec/protocol';
import type { SessionEndReason } from './terminal-channels.js';

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

/** What the file service holds for one open channel: the way to the agent. */
export interface FileLink {
  readonly channel: number;
  readonly hostId: string;
  /** Sends a control message; dropped when the session has ended (the endpoint was told). */
  send(message: ControlFileMessage): void;
  /** Sends upload bytes (1 … MAX_TERMINAL_CHUNK_BYTES) as a FILE_DATA frame. */
  sendData(payload: Uint8Array): void;
  /** Forgets the channel here: nothing more is delivered to its endpoint. */
  release(): void;
}

export class FileChannels {
  #next = 1;
  readonly #open = new Map<number, FileEndpoint>();

  /** A fresh channel id for `endpoint`, or undefined once the 32-bit id space is used up. */
  open(endpoint: FileEndpoint): number | undefined {
    if (this.#next > MAX_CHANNEL_ID) return undefined;
    const channel = this.#next++;
    this.#open.set(channel, endpoint);
    return channel;
  }

  release(channel: number): void {
    this.#open.delete(channel);
  }

  /** Messages and data for a channel that has ended are dropped: they can cross the end. */
  deliver(message: AgentFileMessage): void {
    const endpoint = this.#open.get(message.channel);
    if (endpoint === undefined) return;
    if (message.type === 'AGENT_FILE_DONE' || message.type === 'AGENT_FILE_ERROR') {
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
