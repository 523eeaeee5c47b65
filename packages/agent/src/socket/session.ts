// One established agent socket from HELLO to close (PROTOCOL.md §4, §5): sends HELLO, insists on
// WELCOME before anything else, heartbeats on WELCOME's interval, gives a silent control plane up
// after heartbeat_timeout_ms (close 4007), hands commands to the executor, and reports how it
// ended. Terminal messages and binary frames go to the terminal manager once WELCOME arrived, exec
// messages to the exec manager.
// Heartbeats carry per-container usage, changes only (disk/heartbeat-usage.ts).
// Reconnecting and deciding what a close means are connect-loop.ts's job.
import {
  CloseCode,
  closeCodeName,
  decodeChannelFrame,
  decodeControlMessage,
  encodeAgentMessage,
  FrameKind,
  HEARTBEAT_TIMEOUT_MS,
  HEARTBEAT_WATCHDOG_TICK_MS,
  MAX_CLOSE_REASON_BYTES,
} from '@rexec/protocol';
import type {
  AgentHello,
  AgentMessage,
  ContainerUsage,
  ControlMessage,
  ControlRefuse,
  HostStorage,
  HostUsage,
  ObservedContainer,
} from '@rexec/protocol';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { createHeartbeatUsage } from '../disk/heartbeat-usage.js';
import type { ExecConnection, ExecManager } from '../exec/index.js';
import type { FileConnection, FileManager } from '../files/index.js';
import type { TerminalConnection, TerminalManager } from '../terminal/index.js';

export interface SessionDeps {
  socket: WebSocket;
  log: Logger;
  buildHello: () => Promise<AgentHello>;
  usage: () => Promise<HostUsage>;
  /** The latest per-container measurements (the disk monitor's); none sent when omitted. */
  containerUsage?: () => readonly ContainerUsage[];
  /** The engine storage's free space (disk/storage-space.ts); none sent when omitted or null. */
  storage?: () => Promise<HostStorage | null>;
  onCommand: (message: Extract<ControlMessage, { type: 'CONTROL_COMMAND' }>) => void;
  /** CONTROL_RESULT_ACK: the control plane recorded the command's result. */
  onResultAck?: (commandId: string) => void;
  /** Lists the host's containers for CONTROL_INVENTORY_QUERY; without it a query is not answered. */
  inventory?: () => Promise<ObservedContainer[]>;
  /** Called once WELCOME arrived; the session is then established. */
  onWelcome: (welcome: Extract<ControlMessage, { type: 'CONTROL_WELCOME' }>) => void;
  /** Serves CONTROL_TERMINAL_*; without it every open is refused with `exec_failed`. */
  terminals?: TerminalManager;
  /** Serves CONTROL_EXEC_*; without it every start is refused with `exec_failed`. */
  execs?: ExecManager;
  /** Serves CONTROL_FILE_*; without it every open is refused with `file_failed`. */
  files?: FileManager;
}

export interface SessionEnd {
  code: number;
  reason: string;
  /** When WELCOME arrived (epoch ms), or null if the handshake never completed. */
  welcomedAt: number | null;
  /** The CONTROL_REFUSE that preceded the close, if any. */
  refuse: ControlRefuse | null;
}

export interface Session {
  readonly established: boolean;
  send(message: AgentMessage): boolean;
  /** Closes with `code`; resolves `ended` once the socket is closed (forced after a grace). */
  close(code: number, reason: string): void;
  readonly ended: Promise<SessionEnd>;
}

const CLOSE_GRACE_MS = 3_000;

function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.byteLength <= MAX_CLOSE_REASON_BYTES
    ? text
    : bytes
        .subarray(0, MAX_CLOSE_REASON_BYTES)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}

export function startSession(deps: SessionDeps): Session {
  const { socket, log } = deps;
  let welcomedAt: number | null = null;
  let refuse: ControlRefuse | null = null;
  let lastHeardAt = Date.now();
  let timeoutMs = HEARTBEAT_TIMEOUT_MS;
  let heartbeat: NodeJS.Timeout | null = null;
  let heartbeatBusy = false;
  let seq = 0;
  const containerUsage = createHeartbeatUsage();
  let forceTimer: NodeJS.Timeout | null = null;
  let closed = false;
  let terminals: TerminalConnection | null = null;
  let execs: ExecConnection | null = null;
  let files: FileConnection | null = null;

  const watchdog = setInterval(() => {
    if (Date.now() - lastHeardAt > timeoutMs) {
      log.warn({ silentMs: Date.now() - lastHeardAt }, 'control plane silent; closing');
      close(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    }
  }, HEARTBEAT_WATCHDOG_TICK_MS);

  function send(message: AgentMessage): boolean {
    if (closed || socket.readyState !== socket.OPEN) return false;
    socket.send(encodeAgentMessage(message));
    return true;
  }

  function close(code: number, reason: string): void {
    if (closed) return;
    closed = true;
    stopTimers();
    endTerminals();
    socket.close(code, closeReason(reason));
    // A peer that never answers the close handshake must not hold the agent.
    forceTimer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
  }

  function sendFrame(frame: Uint8Array): boolean {
    if (closed || socket.readyState !== socket.OPEN) return false;
    socket.send(frame, { binary: true });
    return true;
  }

  function endTerminals(): void {
    terminals?.close();
    terminals = null;
    execs?.close();
    execs = null;
    files?.close();
    files = null;
  }

  function stopTimers(): void {
    clearInterval(watchdog);
    if (heartbeat !== null) clearInterval(heartbeat);
    heartbeat = null;
  }

  async function beat(): Promise<void> {
    if (heartbeatBusy) return;
    heartbeatBusy = true;
    try {
      const [usage, storage] = await Promise.all([deps.usage(), deps.storage?.() ?? null]);
      const containers = containerUsage.next(seq, deps.containerUsage?.() ?? []);
      send({
        type: 'AGENT_HEARTBEAT',
        seq,
        usage,
        ...(containers.length === 0 ? {} : { containers }),
        ...(storage === null ? {} : { storage }),
      });
      seq += 1;
    } catch (error) {
      // A missed measurement only skips this beat; the next one tries again.
      log.warn({ err: error }, 'could not measure usage for a heartbeat');
    } finally {
      heartbeatBusy = false;
    }
  }

  // Unanswered (logged) when listing fails: the control plane's query times out and tries again.
  function answerInventory(queryId: string): void {
    if (deps.inventory === undefined) {
      log.warn({ queryId }, 'an inventory query, though this agent did not announce `inventory`');
      return;
    }
    deps
      .inventory()
      .then((inventory) => send({ type: 'AGENT_INVENTORY', query_id: queryId, inventory }))
      .catch((error: unknown) => log.warn({ err: error, queryId }, 'could not list containers'));
  }

  function violation(message: string): void {
    log.warn({ problem: message }, 'protocol violation by the control plane; closing');
    close(CloseCode.PROTOCOL_VIOLATION, message);
  }

  function onMessage(message: ControlMessage): void {
    if (
      welcomedAt === null &&
      message.type !== 'CONTROL_WELCOME' &&
      message.type !== 'CONTROL_REFUSE'
    ) {
      violation(`${message.type} before CONTROL_WELCOME`);
      return;
    }
    switch (message.type) {
      case 'CONTROL_WELCOME':
        if (welcomedAt !== null) {
          violation('a second CONTROL_WELCOME');
          return;
        }
        welcomedAt = Date.now();
        timeoutMs = message.heartbeat_timeout_ms;
        heartbeat = setInterval(() => void beat(), message.heartbeat_interval_ms);
        terminals = deps.terminals?.connect({ send, sendFrame }) ?? null;
        execs = deps.execs?.connect({ send, sendFrame }) ?? null;
        files = deps.files?.connect({ send, sendFrame }) ?? null;
        deps.onWelcome(message);
        return;
      case 'CONTROL_REFUSE':
        refuse = message;
        log.warn({ code: message.code, message: message.message }, 'control plane refused us');
        return;
      case 'CONTROL_HEARTBEAT_ACK':
        return;
      case 'CONTROL_COMMAND':
        deps.onCommand(message);
        return;
      case 'CONTROL_RESULT_ACK':
        deps.onResultAck?.(message.command_id);
        return;
      case 'CONTROL_INVENTORY_QUERY':
        answerInventory(message.query_id);
        return;
      case 'CONTROL_TERMINAL_OPEN':
      case 'CONTROL_TERMINAL_RESIZE':
      case 'CONTROL_TERMINAL_CLOSE':
      case 'CONTROL_TERMINAL_CREDIT': {
        if (terminals === null) {
          // No 'terminal' capability was announced; an open is still answered, the rest are for
          // channels this agent never opened.
          if (message.type === 'CONTROL_TERMINAL_OPEN') {
            send({
              type: 'AGENT_TERMINAL_ERROR',
              channel: message.channel,
              code: 'exec_failed',
              message: 'this agent does not serve terminals',
            });
          }
          return;
        }
        const problem = terminals.handle(message);
        if (problem !== null) violation(problem);
        return;
      }
      case 'CONTROL_EXEC_START':
      case 'CONTROL_EXEC_SIGNAL':
      case 'CONTROL_EXEC_STDIN_EOF':
      case 'CONTROL_EXEC_CREDIT':
      case 'CONTROL_EXEC_ATTACH':
      case 'CONTROL_EXEC_DETACH':
      case 'CONTROL_EXEC_QUERY': {
        if (execs === null) {
          const opens = ['CONTROL_EXEC_START', 'CONTROL_EXEC_ATTACH', 'CONTROL_EXEC_QUERY'];
          if (opens.includes(message.type)) {
            send({
              type: 'AGENT_EXEC_ERROR',
              channel: message.channel,
              code: 'exec_failed',
              message: 'this agent does not run commands',
            });
          }
          return;
        }
        const problem = execs.handle(message);
        if (problem !== null) violation(problem);
        return;
      }
      case 'CONTROL_FILE_OPEN':
      case 'CONTROL_FILE_EOF':
      case 'CONTROL_FILE_CANCEL':
      case 'CONTROL_FILE_CREDIT': {
        if (files === null) {
          if (message.type === 'CONTROL_FILE_OPEN') {
            send({
              type: 'AGENT_FILE_ERROR',
              channel: message.channel,
              code: 'file_failed',
              message: 'this agent does not serve files',
            });
          }
          return;
        }
        const problem = files.handle(message);
        if (problem !== null) violation(problem);
        return;
      }
    }
  }

  const ended = new Promise<SessionEnd>((resolve) => {
    socket.on('close', (code, reason) => {
      closed = true;
      stopTimers();
      endTerminals();
      if (forceTimer !== null) clearTimeout(forceTimer);
      resolve({ code, reason: reason.toString('utf8'), welcomedAt, refuse });
    });
  });

  function onFrame(data: RawData): void {
    if (welcomedAt === null) {
      violation('a binary frame before CONTROL_WELCOME');
      return;
    }
    const frame = decodeChannelFrame(rawBytes(data));
    if (!frame.ok) {
      violation(`bad binary frame: ${frame.error.message}`);
      return;
    }
    // Without terminals or execs no channel exists, and data for unknown channels is dropped (§9).
    switch (frame.value.kind) {
      case FrameKind.TERMINAL_DATA:
        terminals?.input(frame.value.channel, frame.value.payload);
        return;
      case FrameKind.EXEC_STDIN:
        execs?.input(frame.value.channel, frame.value.payload);
        return;
      case FrameKind.FILE_DATA:
        files?.input(frame.value.channel, frame.value.payload);
        return;
      case FrameKind.EXEC_STDOUT:
      case FrameKind.EXEC_STDERR:
        violation(`binary frame kind ${frame.value.kind} is not sent to agents`);
        return;
    }
  }

  socket.on('error', (error) => {
    // The close event follows and ends the session; the error only explains it.
    log.warn({ err: error }, 'agent socket error');
  });
  socket.on('pong', () => {
    lastHeardAt = Date.now();
  });
  socket.on('ping', () => {
    lastHeardAt = Date.now();
  });
  socket.on('message', (data, isBinary) => {
    lastHeardAt = Date.now();
    if (closed) return;
    if (isBinary) {
      onFrame(data);
      return;
    }
    const decoded = decodeControlMessage(data);
    if (!decoded.ok) {
      violation(`undecodable message: ${decoded.error.message}`);
      return;
    }
    onMessage(decoded.value);
  });

  void deps
    .buildHello()
    .then((hello) => {
      send(hello);
      log.debug({ inventory: hello.inventory.length }, 'sent AGENT_HELLO');
    })
    .catch((error: unknown) => {
      log.error({ err: error }, 'could not build AGENT_HELLO; closing to retry');
      close(CloseCode.INTERNAL_ERROR, 'agent could not build HELLO');
    });

  return {
    get established() {
      return welcomedAt !== null && !closed;
    },
    send,
    close,
    ended,
  };
}

function rawBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A readable name for a close code in logs: `4004 CREDENTIAL_REVOKED`, `1006`. */
export function describeClose(code: number): string {
  const name = closeCodeName(code);
  return name === undefined ? String(code) : `${code} ${name}`;
}
