// One user's terminal socket relayed to one channel on an agent socket (PROTOCOL.md §9–§10):
// CONTROL_TERMINAL_OPEN, `ready` on OPENED, output as raw binary with credit granted as the user's
// socket flushes it, input queued against the agent's credit with the user's socket paused while
// it waits, control frames decoded at the edge, and every way the terminal can end mapped to an
// error/exit frame and a named close. Upgrades, liveness pings and shutdown are the relay's.
import {
  CloseCode,
  closeCodeName,
  decodeTerminalClientMessage,
  encodeTerminalServerMessage,
  MAX_TERMINAL_CONTROL_BYTES,
  terminalCloseCode,
  type TerminalServerMessage,
} from '@rexec/protocol';
import { WebSocket, type RawData } from 'ws';
import type { SessionEndReason } from '../hub/channel-table.js';
import type { Log } from '../hub/log.js';
import type {
  AgentTerminalMessage,
  ControlTerminalMessage,
  TerminalEndpoint,
  TerminalLink,
} from '../hub/terminal-channels.js';
import { InputQueue } from './input-queue.js';
import { OutputCredit } from './output-credit.js';
import { rawBytes } from '../hub/raw-bytes.js';
import type { ActivitySink } from '../activity/activity-tracker.js';

/** Largest binary frame a client may send; bigger pastes are split by the client. */
export const MAX_TERMINAL_INPUT_FRAME_BYTES = 1024 * 1024;

export interface TerminalTarget {
  containerId: string;
  hostId: string;
  userId: string;
  /** The API token the terminal was opened with; the terminal ends when it stops working. */
  tokenId: string;
  session: string;
  cols: number;
  rows: number;
}

/** What a connection needs from the agent hub: a channel on the host's session. */
export type OpenChannel = (hostId: string, endpoint: TerminalEndpoint) => TerminalLink | undefined;

/** `opening` until the agent's OPENED, `open` while relaying, `ended` once either side is done. */
export type ConnectionState = 'opening' | 'open' | 'ended';

interface Ending {
  frame: TerminalServerMessage | undefined;
  close: number;
  /** `gone`: the channel already ended on the agent; otherwise the CLOSE mode to send it. */
  agent: 'gone' | 'detach' | 'terminate';
}

export class TerminalConnection implements TerminalEndpoint {
  state: ConnectionState = 'opening';
  /** Cleared by each liveness ping, set by the pong; a ping that finds it clear ends the socket. */
  alive = true;
  /** Set while a stop or remove of the container is in flight: any end then reads as a stop. */
  containerStopping = false;
  readonly #input = new InputQueue();
  readonly #output: OutputCredit;
  #link: TerminalLink | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly target: TerminalTarget,
    windowBytes: number,
    private readonly log: Log,
    private readonly onEnded: (connection: TerminalConnection) => void,
    private readonly activity: ActivitySink,
  ) {
    this.#output = new OutputCredit(windowBytes);
  }

  /** Opens the agent channel and starts relaying; ends at once when the host is not connected. */
  start(openChannel: OpenChannel): void {
    this.ws.on('message', (data, isBinary) => this.#fromUser(data, isBinary));
    this.ws.on('pong', () => (this.alive = true));
    this.ws.on('close', () => this.#userLeft());
    this.ws.on('error', (error) => this.log.debug({ err: error }, 'terminal socket error'));
    this.#link = openChannel(this.target.hostId, this);
    if (this.#link === undefined) {
      this.#end({
        frame: errorFrame('host_unavailable', 'The container’s host is not connected.'),
        close: CloseCode.HOST_UNAVAILABLE,
        agent: 'gone',
      });
      return;
    }
    this.#toAgent({
      type: 'CONTROL_TERMINAL_OPEN',
      channel: this.#link.channel,
      container_id: this.target.containerId,
      session: this.target.session,
      cols: this.target.cols,
      rows: this.target.rows,
      output_window_bytes: this.#output.windowBytes,
    });
  }

  // ── from the agent (TerminalEndpoint) ──

  message(message: AgentTerminalMessage): void {
    if (this.state === 'ended') return;
    switch (message.type) {
      case 'AGENT_TERMINAL_OPENED':
        this.state = 'open';
        this.#send({ type: 'ready', session: message.session, resumed: message.resumed });
        this.#input.grant(message.input_window_bytes);
        this.#flushInput();
        return;
      case 'AGENT_TERMINAL_CREDIT':
        this.#input.grant(message.bytes);
        this.#flushInput();
        return;
      case 'AGENT_TERMINAL_EXIT':
        this.#end(
          this.containerStopping
            ? stoppedEnding('gone')
            : {
                frame: { type: 'exit', code: message.exit_code },
                close: CloseCode.SHELL_EXITED,
                agent: 'gone',
              },
        );
        return;
      case 'AGENT_TERMINAL_ERROR':
        this.#end(
          this.containerStopping
            ? stoppedEnding('gone')
            : {
                frame: errorFrame(message.code, message.message),
                close: terminalCloseCode(message.code),
                agent: 'gone',
              },
        );
        return;
    }
  }

  data(payload: Uint8Array): void {
    // Output before OPENED is out of order on the agent's part; the user cannot place it yet.
    if (this.state !== 'open') return;
    if (!this.#output.received(payload.byteLength)) {
      this.log.warn(
        { host_id: this.target.hostId, container_id: this.target.containerId },
        'agent sent terminal output beyond its credit window',
      );
      this.#end({
        frame: errorFrame('internal', 'The agent broke terminal flow control.'),
        close: CloseCode.INTERNAL_ERROR,
        agent: 'terminate',
      });
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(payload, { binary: true }, (error) => {
      if (error !== undefined && error !== null) return;
      this.#flushedToUser(payload.byteLength);
    });
  }

  sessionEnded(reason: SessionEndReason): void {
    this.#end({
      frame: errorFrame(
        'session_lost',
        reason === 'stopping'
          ? 'The control plane is restarting; reconnect to resume the shell.'
          : 'The connection to the container’s host was lost; the shell may be gone.',
      ),
      close: CloseCode.SESSION_LOST,
      agent: 'gone',
    });
  }

  // ── decided here ──

  /** The container stopped or is gone: its shells are too. */
  containerStopped(): void {
    this.#end(stoppedEnding('terminate'));
  }

  /** The token it was opened with was revoked or expired, or its user disabled: the shell ends. */
  accessRevoked(): void {
    this.#end({
      frame: errorFrame(
        'unauthorized',
        'The token this terminal was opened with was revoked or expired, or its user was disabled.',
      ),
      close: CloseCode.UNAUTHORIZED,
      agent: 'terminate',
    });
  }

  get tokenId(): string {
    return this.target.tokenId;
  }

  /** This control plane is stopping: the shell stays with the agent for the grace period. */
  shutdown(): void {
    this.#end({ frame: undefined, close: CloseCode.SERVER_SHUTTING_DOWN, agent: 'detach' });
  }

  /** A pinged client that never answered is gone; its shell is kept as for any drop. */
  terminate(): void {
    this.ws.terminate();
  }

  // ── from the user ──

  #fromUser(data: RawData, isBinary: boolean): void {
    if (this.state === 'ended') return;
    const bytes = rawBytes(data);
    if (isBinary) {
      if (bytes.byteLength > MAX_TERMINAL_INPUT_FRAME_BYTES) {
        this.#invalidFrame(
          `Binary frames are limited to ${MAX_TERMINAL_INPUT_FRAME_BYTES} bytes; split the input.`,
        );
        return;
      }
      // Input, not output, is activity: a shell printing on its own is not someone at work.
      this.activity.touch(this.target.containerId);
      this.#input.push(bytes);
      this.#flushInput();
      return;
    }
    if (bytes.byteLength > MAX_TERMINAL_CONTROL_BYTES) {
      this.#invalidFrame(`Control frames are limited to ${MAX_TERMINAL_CONTROL_BYTES} bytes.`);
      return;
    }
    const decoded = decodeTerminalClientMessage(bytes);
    if (!decoded.ok) {
      this.#invalidFrame(`Invalid control frame: ${decoded.error.message}`);
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'ping':
        this.#send({ type: 'pong' });
        return;
      case 'pause':
        this.#output.pause();
        return;
      case 'resume':
        this.#grantOutput(this.#output.resume());
        return;
      case 'resize':
        if (this.#link === undefined) return;
        this.#toAgent({
          type: 'CONTROL_TERMINAL_RESIZE',
          channel: this.#link.channel,
          cols: message.cols,
          rows: message.rows,
        });
        return;
    }
  }

  #invalidFrame(message: string): void {
    this.#end({
      frame: errorFrame('invalid_frame', message),
      close: CloseCode.PROTOCOL_VIOLATION,
      agent: 'detach',
    });
  }

  #userLeft(): void {
    if (this.state === 'ended') return;
    this.#end({ frame: undefined, close: CloseCode.NORMAL, agent: 'detach' });
  }

  // ── plumbing ──

  #flushInput(): void {
    const link = this.#link;
    if (link !== undefined && this.state === 'open') {
      this.#input.drain((chunk) => link.sendData(chunk));
    }
    // Input beyond the agent's credit waits here; stop reading the client so TCP pushes back.
    if (this.#input.queuedBytes > 0) {
      if (!this.ws.isPaused) this.ws.pause();
    } else if (this.ws.isPaused) {
      this.ws.resume();
    }
  }

  #flushedToUser(bytes: number): void {
    if (this.state !== 'open' || this.#link === undefined) return;
    this.#grantOutput(this.#output.flushed(bytes, this.ws.bufferedAmount === 0));
  }

  #grantOutput(bytes: number): void {
    if (bytes > 0 && this.state === 'open' && this.#link !== undefined) {
      this.#toAgent({ type: 'CONTROL_TERMINAL_CREDIT', channel: this.#link.channel, bytes });
    }
  }

  #toAgent(message: ControlTerminalMessage): void {
    this.#link?.send(message);
  }

  #send(message: TerminalServerMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeTerminalServerMessage(message));
  }

  #end(ending: Ending): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    const link = this.#link;
    if (link !== undefined) {
      if (ending.agent !== 'gone') {
        this.#toAgent({
          type: 'CONTROL_TERMINAL_CLOSE',
          channel: link.channel,
          mode: ending.agent,
        });
      }
      link.release();
    }
    if (ending.frame !== undefined) this.#send(ending.frame);
    if (this.ws.isPaused) this.ws.resume();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(ending.close, closeCodeName(ending.close)?.toLowerCase() ?? '');
    }
    this.log.info(
      {
        container_id: this.target.containerId,
        session: this.target.session,
        channel: link?.channel,
        close: ending.close,
      },
      'terminal ended',
    );
    this.onEnded(this);
  }
}

function errorFrame(code: string, message: string): TerminalServerMessage {
  return { type: 'error', code, message: message.slice(0, 1024) };
}

function stoppedEnding(agent: 'gone' | 'terminate'): Ending {
  return {
    frame: errorFrame('container_stopped', 'The container stopped; its shells ended with it.'),
    close: CloseCode.CONTAINER_STOPPED,
    agent,
  };
}
