// A background exec's stream socket on the client (PROTOCOL.md §10b): output frames split by their
// stream tag into two async iterables, stdin as a WritableStream (and write()/endStdin()), signals,
// `wait()` for the exit code, and the offset reached so far, so a dropped stream can be reattached
// with `containers.reattach(container, execId, { offset })` without losing or repeating output.
import {
  CloseCode,
  decodeExecStreamServerMessage,
  encodeExecStreamClientMessage,
  ExecStreamTag,
  type ExecSignal,
} from '@rexec/protocol';
import { RexecError } from '../errors.js';
import type { TerminalTransport, TransportFactory } from '../terminal/transport.js';
import { ByteQueue } from './byte-queue.js';

/** Largest stdin frame sent at once; the server refuses frames over 1 MiB. */
const MAX_STDIN_FRAME_BYTES = 256 * 1024;

export interface ExecStreamReady {
  /** Where the output that follows starts. */
  offset: number;
  /** Set when the asked offset was older than what the agent still keeps. */
  truncatedBefore?: number;
}

export interface ExecExit {
  /** Null when the exec's timeout killed it. */
  exitCode: number | null;
}

export interface ExecStream {
  readonly execId: string;
  readonly stdout: AsyncIterable<Uint8Array>;
  readonly stderr: AsyncIterable<Uint8Array>;
  /** Stdin; closing it sends `stdin_eof`. */
  readonly stdin: WritableStream<Uint8Array | string>;
  /** Resolves once the server said where the output starts. */
  readonly ready: Promise<ExecStreamReady>;
  /** The offset after the last output byte received: give it to reattach. */
  readonly offset: number;
  write(data: Uint8Array | string): void;
  endStdin(): void;
  signal(signal: ExecSignal): void;
  /** Resolves with the exit code; rejects with a RexecError when the stream ends otherwise. */
  wait(): Promise<ExecExit>;
  /** Leaves the stream; the command carries on and can be reattached. */
  close(): void;
}

const ENCODER = new TextEncoder();

export function openExecStream(
  transport: TransportFactory,
  request: { url: string; token: string; subprotocol: string },
  execId: string,
  startOffset: number,
): ExecStream {
  const stdout = new ByteQueue();
  const stderr = new ByteQueue();
  let offset = startOffset;
  let failure: RexecError | undefined;
  let exit: ExecExit | undefined;
  let opened = false;
  const pending: (string | Uint8Array)[] = [];
  let resolveReady!: (ready: ExecStreamReady) => void;
  let rejectReady!: (error: RexecError) => void;
  const ready = new Promise<ExecStreamReady>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let resolveDone!: (exit: ExecExit) => void;
  let rejectDone!: (error: RexecError) => void;
  const done = new Promise<ExecExit>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers that never await these must not see unhandled rejections.
  ready.catch(() => undefined);
  done.catch(() => undefined);

  const send = (data: string | Uint8Array) => {
    if (opened) socket.send(data);
    else pending.push(data);
  };

  const socket: TerminalTransport = transport(request, {
    open() {
      opened = true;
      for (const data of pending.splice(0)) socket.send(data);
    },
    text(data) {
      const decoded = decodeExecStreamServerMessage(data);
      if (!decoded.ok) {
        failure ??= streamError(
          'invalid_frame',
          `The server sent a bad frame: ${data.slice(0, 200)}`,
        );
        return;
      }
      const message = decoded.value;
      switch (message.type) {
        case 'ready':
          offset = message.offset;
          resolveReady({
            offset: message.offset,
            ...(message.truncated_before === undefined
              ? {}
              : { truncatedBefore: message.truncated_before }),
          });
          return;
        case 'exit':
          exit = { exitCode: message.code };
          return;
        case 'error':
          failure = streamError(message.code, message.message);
          return;
      }
    },
    binary(data) {
      const tag = data[0];
      const payload = data.subarray(1);
      if (payload.byteLength === 0) return;
      offset += payload.byteLength;
      if (tag === ExecStreamTag.STDERR) stderr.push(payload);
      else stdout.push(payload);
    },
    failed(error) {
      failure ??= error;
    },
    close(code, reason) {
      if (exit !== undefined && code === CloseCode.EXEC_EXITED) {
        stdout.end();
        stderr.end();
        rejectReady(streamError('exited', 'The command had already ended.'));
        resolveDone(exit);
        return;
      }
      const error =
        failure ??
        streamError(
          'stream_closed',
          `The exec stream closed (${code}${reason === '' ? '' : ` ${reason}`}) at offset ${offset}; reattach to carry on.`,
        );
      stdout.end(error);
      stderr.end(error);
      rejectReady(error);
      rejectDone(error);
    },
  });

  const write = (data: Uint8Array | string) => {
    const bytes = typeof data === 'string' ? ENCODER.encode(data) : data;
    for (let at = 0; at < bytes.byteLength; at += MAX_STDIN_FRAME_BYTES) {
      send(bytes.subarray(at, at + MAX_STDIN_FRAME_BYTES));
    }
  };
  const endStdin = () => send(encodeExecStreamClientMessage({ type: 'stdin_eof' }));

  return {
    execId,
    stdout,
    stderr,
    stdin: new WritableStream<Uint8Array | string>({
      write: (chunk) => write(chunk),
      close: () => endStdin(),
    }),
    ready,
    get offset() {
      return offset;
    },
    write,
    endStdin,
    signal: (signal) => send(encodeExecStreamClientMessage({ type: 'signal', signal })),
    wait: () => done,
    close: () => socket.close(CloseCode.NORMAL, 'detached'),
  };
}

function streamError(code: string, message: string): RexecError {
  return new RexecError({ status: 0, code, message });
}
