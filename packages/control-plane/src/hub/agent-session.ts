// One agent's socket: its handshake phase, when it was last heard from, its terminal and exec
// channels and inventory queries, and sending encoded control messages and terminal data frames. Deciding what a
// message means is the hub's; this holds per-connection state.
import { randomBytes } from 'node:crypto';
import {
  encodeChannelFrame,
  encodeControlMessage,
  encodeOwnControlMessage,
  MAX_CLOSE_REASON_BYTES,
  type ControlMessage,
  type FrameKind,
} from '@rexec/protocol';
import { WebSocket } from 'ws';
import { ExecChannels } from './exec-channels.js';
import type { RecordedStorage } from './host-storage.js';
import { FileChannels } from './file-channels.js';
import { InventoryQueries } from './inventory-queries.js';
import { TerminalChannels } from './terminal-channels.js';

/** `awaiting_hello` → `handshaking` (HELLO being processed) → `established` → `ended`. */
export type SessionPhase = 'awaiting_hello' | 'handshaking' | 'established' | 'ended';

export class AgentSession {
  readonly connectionId = `conn_${randomBytes(8).toString('hex')}`;
  readonly openedAt = Date.now();
  phase: SessionPhase = 'awaiting_hello';
  lastHeardAt = Date.now();
  /** When last_seen_at was last written for this session (HELLO writes it too). */
  lastTouchedAt = Date.now();
  /** Set by GOODBYE so the close that follows is reported as a shutdown, not a loss. */
  saidGoodbye = false;
  /** The engine storage's free space as last written to the hosts row (host-storage.ts). */
  storageRecorded: RecordedStorage | null = null;
  readonly terminals = new TerminalChannels();
  readonly execs = new ExecChannels();
  readonly files = new FileChannels();
  /** CONTROL_INVENTORY_QUERYs sent on this socket and not answered yet. */
  readonly inventoryQueries = new InventoryQueries();
  /** What HELLO's `capabilities` announced (`exec`, `files`, …); empty before HELLO. */
  capabilities: ReadonlySet<string> = new Set();

  constructor(
    readonly ws: WebSocket,
    readonly hostId: string,
    readonly hostName: string,
  ) {}

  /** A message typed code built here (commands, ACKs, WELCOME): no schema check on the way out. */
  send(message: ControlMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeOwnControlMessage(message));
  }

  /** A binary data frame (terminal input unless `kind` says otherwise); throws RangeError on an
   * empty or oversized payload. */
  sendData(channel: number, payload: Uint8Array, kind?: FrameKind): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(encodeChannelFrame(channel, payload, kind), { binary: true });
    }
  }

  /** Sends CONTROL_REFUSE (the long explanation), then closes with `closeCode`. */
  refuse(code: string, message: string, closeCode: number, extra: object = {}): void {
    // `extra` is free-form, so this one is checked against the schema before it goes.
    const refusal = { type: 'CONTROL_REFUSE' as const, code, message: message.slice(0, 1024) };
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(encodeControlMessage({ ...refusal, ...extra }));
    }
    this.close(closeCode, code);
  }

  close(code: number, reason: string): void {
    if (this.phase !== 'ended') this.phase = 'ended';
    if (this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING) return;
    this.ws.close(code, truncateReason(reason));
  }
}

function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.byteLength <= MAX_CLOSE_REASON_BYTES
    ? reason
    : bytes.subarray(0, MAX_CLOSE_REASON_BYTES).toString('utf8');
}
