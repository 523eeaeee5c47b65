// One open terminal (PROTOCOL.md §10): binary frames are raw bytes both ways, text frames JSON
// control decoded with the protocol's schemas. Exposes write/resize/close, listeners for data,
// exit and errors, `ready` and `closed`. Opening the socket is the transport's job.
import {
  CloseCode,
  closeCodeName,
  decodeTerminalServerMessage,
  encodeTerminalClientMessage,
  type TerminalClientMessage,
  type TerminalReady,
  type TerminalServerMessage,
} from '@rexec/protocol';
import { RexecError } from '../errors.js';
import type { TerminalTransport, TransportEvents } from './transport.js';

export interface TerminalReadyInfo {
  /** The session id: reconnect with it to resume the same shell. */
  session: string;
  /** True when this attached to a shell that already ran; its recent output follows as data. */
  resumed: boolean;
}

export interface TerminalEnd {
  /** The shell's exit code when it exited (128 + n for signal n). */
  exitCode: number | undefined;
  closeCode: number;
  reason: string;
  /** Why the terminal ended abnormally, when it did. */
  error: RexecError | undefined;
}

export interface Terminal {
  /** Resolves on the server's `ready`; rejects if the terminal ends first (refusal, error, close). */
  readonly ready: Promise<TerminalReadyInfo>;
  /** Resolves once the socket is closed, however that happened. Never rejects. */
  readonly closed: Promise<TerminalEnd>;
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /**
   * Asks the server to stop the shell's output until resume(): for a reader that takes bytes off
   * the socket faster than it can use them (a browser drawing into a terminal widget). Output
   * already on its way still arrives. A reader that simply stops reading needs neither.
   */
  pause(): void;
  resume(): void;
  /** Detaches: the shell keeps running for the grace period and can be resumed by its session. */
  close(): void;
  /** Output bytes. Output that arrives before the first listener is held for it. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  onExit(listener: (code: number) => void): () => void;
  onError(listener: (error: RexecError) => void): () => void;
}

type Listener<T> = (value: T) => void;

function subscribe<T>(set: Set<Listener<T>>, listener: Listener<T>): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

/** Closes that are not failures: our own close, the shell's exit, a normal close. */
const QUIET_CLOSES = new Set<number>([1000, 1005, CloseCode.NORMAL, CloseCode.SHELL_EXITED]);

function errorFromClose(code: number, reason: string): RexecError {
  const name = closeCodeName(code);
  return new RexecError({
    status: 0,
    code: 'terminal_error',
    message:
      reason !== ''
        ? `The terminal closed: ${reason}.`
        : `The terminal closed unexpectedly (${name ?? `close code ${code}`}).`,
    details: { close_code: code, close_name: name },
  });
}

/** Wires a transport (created by `open` with these events) to a Terminal. */
export function terminalSession(
  open: (events: TransportEvents) => TerminalTransport,
  keepAliveMs: number,
): Terminal {
  const dataListeners = new Set<Listener<Uint8Array>>();
  const exitListeners = new Set<Listener<number>>();
  const errorListeners = new Set<Listener<RexecError>>();
  const held: Uint8Array[] = [];
  // Frames written before `ready` wait for it: the socket may still be opening.
  const outbox: (string | Uint8Array)[] = [];
  const encoder = new TextEncoder();
  let isReady = false;
  let ended = false;
  let closedByUs = false;
  let exitCode: number | undefined;
  let failure: RexecError | undefined;
  let keepAlive: ReturnType<typeof setInterval> | undefined;

  let resolveReady!: (info: TerminalReadyInfo) => void;
  let rejectReady!: (error: RexecError) => void;
  const ready = new Promise<TerminalReadyInfo>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Callers who only use `closed` or onError must not see an unhandled rejection; awaiting
  // `ready` still rejects for those who do.
  ready.catch(() => undefined);
  let resolveClosed!: (end: TerminalEnd) => void;
  const closed = new Promise<TerminalEnd>((resolve) => (resolveClosed = resolve));

  const fail = (error: RexecError): void => {
    if (failure !== undefined) return;
    failure = error;
    for (const listener of errorListeners) listener(error);
  };

  const send = (frame: string | Uint8Array): void => {
    if (ended) return;
    if (isReady) transport.send(frame);
    else outbox.push(frame);
  };

  const sendControl = (message: TerminalClientMessage): void =>
    send(encodeTerminalClientMessage(message));

  const onControl = (message: TerminalServerMessage): void => {
    switch (message.type) {
      case 'ready':
        onReady(message);
        return;
      case 'exit':
        exitCode = message.code;
        for (const listener of exitListeners) listener(message.code);
        return;
      case 'error':
        fail(new RexecError({ status: 0, code: message.code, message: message.message }));
        return;
      case 'pong':
        return;
    }
  };

  const onReady = (message: TerminalReady): void => {
    isReady = true;
    resolveReady({ session: message.session, resumed: message.resumed });
    for (const frame of outbox.splice(0)) transport.send(frame);
    if (keepAliveMs > 0) keepAlive = setInterval(() => sendControl({ type: 'ping' }), keepAliveMs);
  };

  const transport = open({
    open: () => undefined,
    text(data) {
      const decoded = decodeTerminalServerMessage(data);
      if (!decoded.ok) {
        fail(
          new RexecError({
            status: 0,
            code: 'invalid_response',
            message: `The terminal sent a control frame this SDK cannot read: ${decoded.error.message}`,
            details: { issues: decoded.error.issues },
          }),
        );
        transport.close(CloseCode.PROTOCOL_VIOLATION, 'invalid control frame');
        return;
      }
      onControl(decoded.value);
    },
    binary(data) {
      if (dataListeners.size === 0) held.push(data);
      else for (const listener of dataListeners) listener(data);
    },
    failed: fail,
    close(code, reason) {
      if (ended) return;
      ended = true;
      if (keepAlive !== undefined) clearInterval(keepAlive);
      if (exitCode === undefined && !closedByUs && !QUIET_CLOSES.has(code)) {
        fail(errorFromClose(code, reason));
      }
      if (!isReady) {
        rejectReady(
          failure ??
            new RexecError({
              status: 0,
              code: 'terminal_error',
              message: 'The terminal closed before the shell was ready.',
              details: { close_code: code },
            }),
        );
      }
      resolveClosed({ exitCode, closeCode: code, reason, error: failure });
    },
  });

  return {
    ready,
    closed,
    write(data) {
      send(typeof data === 'string' ? encoder.encode(data) : data);
    },
    resize(cols, rows) {
      for (const [what, value] of [
        ['cols', cols],
        ['rows', rows],
      ] as const) {
        if (!Number.isInteger(value) || value < 1 || value > 1000) {
          throw new TypeError(`${what} must be an integer from 1 to 1000, got ${value}`);
        }
      }
      sendControl({ type: 'resize', cols, rows });
    },
    pause: () => sendControl({ type: 'pause' }),
    resume: () => sendControl({ type: 'resume' }),
    close() {
      if (ended) return;
      closedByUs = true;
      transport.close(CloseCode.NORMAL, 'client closed');
    },
    onData(listener) {
      const unsubscribe = subscribe(dataListeners, listener);
      for (const chunk of held.splice(0)) listener(chunk);
      return unsubscribe;
    },
    onExit: (listener) => subscribe(exitListeners, listener),
    onError: (listener) => subscribe(errorListeners, listener),
  };
}
