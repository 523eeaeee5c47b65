// The seam between the terminal client and a WebSocket implementation: the browser's global
// WebSocket (browser-socket.ts) or Node's `ws` (node-socket.ts, only imported by the Node entry).
// A transport reports events; framing and the terminal protocol are terminal-session.ts's.
import type { RexecError } from '../errors.js';

export interface TransportEvents {
  open(): void;
  text(data: string): void;
  binary(data: Uint8Array): void;
  /** The socket closed; also after a failed handshake, with 1006. */
  close(code: number, reason: string): void;
  /**
   * The socket failed: the server refused the upgrade with an ordinary REST error (401, 404, 409,
   * 429, 503; only transports that can read the HTTP answer report it, browsers cannot) or the
   * connection broke. `close` follows.
   */
  failed(error: RexecError): void;
}

export interface TerminalTransport {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface TransportRequest {
  url: string;
  token: string;
  /** The socket's subprotocol; terminals' `rexec.terminal.v1` unless given (exec streams). */
  subprotocol?: string;
}

export type TransportFactory = (
  request: TransportRequest,
  events: TransportEvents,
) => TerminalTransport;
