// What a terminal session needs of the agent socket it is attached to: send a JSON message and send
// a binary channel frame. session.ts provides one per established socket; keeping it this narrow
// lets sessions outlive the socket (a detach) without holding on to it.
import type { AgentMessage } from '@rexec/protocol';

export interface TerminalLink {
  /** False when the socket is gone; the connection's close() then detaches everything. */
  send(message: AgentMessage): boolean;
  sendFrame(frame: Uint8Array): boolean;
}

/** One channel's hold on a session; `onEnd` lets the channel's owner forget it. */
export interface TerminalAttachment {
  channel: number;
  link: TerminalLink;
  outputWindowBytes: number;
  onEnd: () => void;
}
