// One user's exec stream socket relayed to a channel attached to a background exec (PROTOCOL.md
// §9b, §10b): ATTACH from the asked offset, `ready` on ATTACHED, output as binary frames tagged
// with their stream and credited back to the agent once the user's socket flushed them, stdin
// queued against the agent's credit (the socket paused while it waits) with `stdin_eof` sent after
// the stdin before it, signals, and each way the stream ends mapped to a frame and a named close.
// Leaving detaches: the command carries on. Upgrades, pings and shutdown are exec-stream-relay.ts's.
import {
  CloseCode,
  closeCodeName,
  decodeExecStreamClientMessage,
  encodeExecStreamServerMessage,
  ExecStreamTag,
  MAX_TERMINAL_CONTROL_BYTES,
  type ExecStreamServerMessage,
} from '@rexec/protocol';
import { WebSocket, type RawData } from 'ws';
import type { ExecEndpoint, ExecLink, ExecStream } from '../hub/exec-channels.js';
import type { Hub } from '../hub/hub.js';
import type { Log } from '../hub/log.js';
import { InputQueue } from '../terminal/input-queue.js';
import { OutputCredit } from '../terminal/output-credit.js';
import { rawBytes } from '../hub/raw-bytes.js';

/** Largest binary frame a client may send; bigger input is split by the client. */
export const MAX_EXEC_INPUT_FRAME_BYTES = 1024 * 1024;

export interface ExecStreamTarget {
  containerId: string;
  hostId: string;
  execId: string;
  offset: number;
}

/** `attaching` until the agent's ATTACHED, `open` while relaying, `ended` once either side is. */
type StreamState = 'attaching' | 'open' | 'ended';

export class ExecStreamConnection implements ExecEndpoint {
  alive = true;
  #state: StreamState = 'attaching';
  readonly #input = new InputQueue();
  readonly #output: OutputCredit;
  /** `ending` after the client's stdin_eof until the stdin before it went out; then `ended`. */
  #stdin: 'open' | 'ending' | 'ended' = 'open';
  #link: ExecLink | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly target: ExecStreamTarget,
    windowBytes: number,
    private readonly log: Log,
    private readonly onEnded: (connection: ExecStreamConnection) => void,
  ) {
    this.#output = new OutputCredit(windowBytes);
  }

  start(hub: Pick<Hub, 'openExec'>): void {
    this.ws.on('message', (data, isBinary) => this.#fromUser(data, isBinary));
    this.ws.on('pong', () => (this.alive = true));
    this.ws.on('close', () => this.#end(undefined, CloseCode.NORMAL, true));
    this.ws.on('error', (error) => this.log.debug({ err: error }, 'exec stream socket error'));
    this.#link = hub.openExec(this.target.hostId, this);
    if (this.#link === undefined) {
      this.#end(
        errorFrame('host_unavailable', 'The container’s host is not connected.'),
        CloseCode.HOST_UNAVAILABLE,
        false,
      );
      return;
    }
    this.#link.send({
      type: 'CONTROL_EXEC_ATTACH',
      channel: this.#link.channel,
      exec_id: this.target.execId,
      container_id: this.target.containerId,
      offset: this.target.offset,
      output_window_bytes: this.#output.windowBytes,
    });
  }

  // ── from the agent (ExecEndpoint) ──

  message(message: Parameters<ExecEndpoint['message']>[0]): void {
    if (this.#state === 'ended') return;
    switch (message.type) {
      case 'AGENT_EXEC_ATTACHED':
        this.#state = 'open';
        this.#send({
          type: 'ready',
          offset: message.offset,
          ...(message.truncated_before === undefined
            ? {}
            : { truncated_before: message.truncated_before }),
        });
        this.#input.grant(message.input_window_bytes);
        this.#flushInput();
        return;
      case 'AGENT_EXEC_CREDIT':
        this.#input.grant(message.bytes);
        this.#flushInput();
        return;
      case 'AGENT_EXEC_EXIT':
        this.#end(
          { type: 'exit', code: message.timed_out ? null : message.exit_code },
          CloseCode.EXEC_EXITED,
          false,
        );
        return;
      case 'AGENT_EXEC_ERROR':
        this.#end(
          errorFrame(message.code, message.message),
          message.code === 'exec_not_found' ? CloseCode.EXEC_NOT_FOUND : CloseCode.INTERNAL_ERROR,
          false,
        );
        return;
      case 'AGENT_EXEC_STARTED':
      case 'AGENT_EXEC_STATUS':
        // Answers to START and QUERY, which this channel never sends.
        return;
    }
  }

  data(stream: ExecStream, payload: Uint8Array): void {
    if (this.#state !== 'open') return;
    if (!this.#output.received(payload.byteLength)) {
      this.log.warn({ host_id: this.target.hostId }, 'agent sent exec output beyond its window');
      this.#end(
        errorFrame('internal', 'The agent broke exec flow control.'),
        CloseCode.INTERNAL_ERROR,
        true,
      );
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const frame = Buffer.allocUnsafe(payload.byteLength + 1);
    frame[0] = stream === 'stdout' ? ExecStreamTag.STDOUT : ExecStreamTag.STDERR;
    frame.set(payload, 1);
    this.ws.send(frame, { binary: true }, (error) => {
      if (error !== undefined && error !== null) return;
      this.#flushed(payload.byteLength);
    });
  }

  sessionEnded(): void {
    this.#end(
      errorFrame('session_lost', 'The connection to the host was lost; reattach with ?offset.'),
      CloseCode.SESSION_LOST,
      false,
    );
  }

  // ── decided here ──

  /** This control plane is stopping: the command carries on for a reattach elsewhere. */
  shutdown(): void {
    this.#end(undefined, CloseCode.SERVER_SHUTTING_DOWN, true);
  }

  terminate(): void {
    this.ws.terminate();
  }

  // ── from the user ──

  #fromUser(data: RawData, isBinary: boolean): void {
    if (this.#state === 'ended') return;
    const bytes = rawBytes(data);
    if (isBinary) {
      if (bytes.byteLength > MAX_EXEC_INPUT_FRAME_BYTES || this.#stdin !== 'open') {
        this.#invalidFrame(
          this.#stdin !== 'open'
            ? 'stdin was already ended with stdin_eof.'
            : `Binary frames are limited to ${MAX_EXEC_INPUT_FRAME_BYTES} bytes; split the input.`,
        );
        return;
      }
      this.#input.push(bytes);
      this.#flushInput();
      return;
    }
    if (bytes.byteLength > MAX_TERMINAL_CONTROL_BYTES) {
      this.#invalidFrame(`Control frames are limited to ${MAX_TERMINAL_CONTROL_BYTES} bytes.`);
      return;
    }
    const decoded = decodeExecStreamClientMessage(bytes);
    if (!decoded.ok) {
      this.#invalidFrame(`Invalid control frame: ${decoded.error.message}`);
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'stdin_eof':
        if (this.#stdin === 'open') this.#stdin = 'ending';
        this.#flushInput();
        return;
      case 'signal':
        if (this.#link !== undefined) {
          this.#link.send({
            type: 'CONTROL_EXEC_SIGNAL',
            channel: this.#link.channel,
            signal: message.signal,
          });
        }
        return;
    }
  }

  #invalidFrame(message: string): void {
    this.#end(errorFrame('invalid_frame', message), CloseCode.PROTOCOL_VIOLATION, true);
  }

  // ── plumbing ──

  #flushInput(): void {
    const link = this.#link;
    if (link === undefined || this.#state !== 'open') return;
    this.#input.drain((chunk) => link.sendData(chunk));
    if (this.#input.queuedBytes > 0) {
      if (!this.ws.isPaused) this.ws.pause();
      return;
    }
    if (this.ws.isPaused) this.ws.resume();
    if (this.#stdin === 'ending') {
      this.#stdin = 'ended';
      link.send({ type: 'CONTROL_EXEC_STDIN_EOF', channel: link.channel });
    }
  }

  #flushed(bytes: number): void {
    if (this.#state !== 'open' || this.#link === undefined) return;
    const grant = this.#output.flushed(bytes, this.ws.bufferedAmount === 0);
    if (grant > 0) {
      this.#link.send({ type: 'CONTROL_EXEC_CREDIT', channel: this.#link.channel, bytes: grant });
    }
  }

  #send(message: ExecStreamServerMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeExecStreamServerMessage(message));
  }

  /** `detach`: the channel is still open on the agent and must be let go of there. */
  #end(frame: ExecStreamServerMessage | undefined, close: number, detach: boolean): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    const link = this.#link;
    if (link !== undefined) {
      if (detach) link.send({ type: 'CONTROL_EXEC_DETACH', channel: link.channel });
      link.release();
    }
    if (frame !== undefined) this.#send(frame);
    if (this.ws.isPaused) this.ws.resume();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(close, closeCodeName(close)?.toLowerCase() ?? '');
    }
    this.log.info(
      { container_id: this.target.containerId, exec_id: this.target.execId, close },
      'exec stream ended',
    );
    this.onEnded(this);
  }
}

function errorFrame(code: string, message: string): ExecStreamServerMessage {
  return { type: 'error', code, message: message.slice(0, 1024) };
}
