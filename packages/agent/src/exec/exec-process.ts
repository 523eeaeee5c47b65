// One exec (PROTOCOL.md §9a): the engine's exec client run through execa with an argv array, its
// stdout and stderr sent as exec frames within the credit the control plane granted (the pipes
// are paused, not buffered, without credit), bytes past the output limit counted and dropped,
// stdin written as it arrives and credited once written, the timeout, signals, and one EXIT after
// the last frame. Limits and channels are exec-manager.ts's.
import {
  encodeChannelFrame,
  FrameKind,
  MAX_TERMINAL_CHUNK_BYTES,
  TERMINAL_WINDOW_BYTES,
  type AgentMessage,
  type ControlExecStart,
  type ExecSignal,
} from '@rexec/protocol';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import { containerName } from '../runtime/index.js';
import { EXEC_ID_VARIABLE, ExecTermination } from './exec-signal.js';

export interface ExecLink {
  send(message: AgentMessage): boolean;
  sendFrame(frame: Uint8Array): boolean;
}

export interface ExecProcessOptions {
  binary: string;
  start: ControlExecStart;
  link: ExecLink;
  log: Logger;
  /** Signals every process of this exec inside the container. */
  signal: (signal: ExecSignal) => Promise<number>;
  /** Called once, after EXIT or ERROR went out. */
  onEnd: () => void;
}

/** Stdin in flight toward one command; written as it arrives, so one window is plenty. */
export const EXEC_INPUT_WINDOW_BYTES = TERMINAL_WINDOW_BYTES;

/** Engine exit code for its own failures (podman and docker both use 125). */
const ENGINE_ERROR_EXIT = 125;
const NOT_RUNNING = /is not running|state improper|no such container|not running/i;

type Stream = 'stdout' | 'stderr';

/** The argv of `<engine> exec` for a start message. */
export function execArgs(start: ControlExecStart): string[] {
  const args = ['exec'];
  if (start.stdin) args.push('-i');
  if (start.cwd !== undefined) args.push('--workdir', start.cwd);
  if (start.user !== undefined) args.push('--user', start.user);
  for (const [name, value] of Object.entries(start.env ?? {})) args.push('-e', `${name}=${value}`);
  // Last, so a user's variable of the same name cannot hide the exec from signals.
  args.push('-e', `${EXEC_ID_VARIABLE}=${start.exec_id}`);
  args.push(containerName(start.container_id), ...start.argv);
  return args;
}

export class ExecProcess {
  readonly #options: ExecProcessOptions;
  readonly #child: ResultPromise<{
    buffer: false;
    reject: false;
    encoding: 'buffer';
    stdout: 'pipe';
    stderr: 'pipe';
    stdin: 'pipe' | 'ignore';
  }>;
  readonly #startedAt = new Date();
  readonly #queue: { kind: FrameKind; bytes: Buffer }[] = [];
  readonly #counted = { stdout: 0, stderr: 0 };
  readonly #sent = { stdout: 0, stderr: 0 };
  /** The engine's own error text, when the exec client itself failed. */
  #engineHead = '';
  #credit: number;
  #timedOut = false;
  #timer: NodeJS.Timeout;
  readonly #termination: ExecTermination;
  #exit: { code: number | null; spawnFailed: boolean } | null = null;
  #ended = false;
  #discard = false;

  constructor(options: ExecProcessOptions) {
    this.#options = options;
    const { start } = options;
    this.#credit = start.output_window_bytes;
    this.#child = execa(options.binary, execArgs(start), {
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stdout: 'pipe',
      stderr: 'pipe',
      stdin: start.stdin ? 'pipe' : 'ignore',
    });
    // The command may exit without reading its stdin; writes after that fail, harmlessly.
    this.#child.stdin?.on('error', (error) => {
      options.log.debug({ err: error }, 'exec stdin closed early');
    });
    this.#termination = new ExecTermination({
      send: (signal) => options.signal(signal),
      ended: () => this.#exit !== null,
      killClient: () => this.#child.kill('SIGKILL'),
      log: options.log,
    });
    this.#pump('stdout', this.#child.stdout);
    this.#pump('stderr', this.#child.stderr);
    this.#timer = setTimeout(() => this.#onTimeout(), start.timeout_ms);
    options.link.send({
      type: 'AGENT_EXEC_STARTED',
      channel: start.channel,
      exec_id: start.exec_id,
      started_at: this.#startedAt.toISOString(),
      input_window_bytes: EXEC_INPUT_WINDOW_BYTES,
    });
    void this.#child.then((result) => {
      clearTimeout(this.#timer);
      this.#termination.ended();
      const code = this.#timedOut || result.exitCode === undefined ? null : result.exitCode;
      // No code and no signal: the engine's client never ran (a missing binary, say).
      const spawnFailed = result.exitCode === undefined && result.signal === undefined;
      if (spawnFailed) options.log.error({ err: result }, 'could not run the exec client');
      this.#exit = { code, spawnFailed };
      this.#maybeEnd();
    });
  }

  get containerId(): string {
    return this.#options.start.container_id;
  }

  /** Stdin bytes; credited back once the pipe took them. Dropped after EOF or exit. */
  input(payload: Uint8Array): void {
    const stdin = this.#child.stdin;
    const { link, start } = this.#options;
    if (stdin === null || !stdin.writable || this.#ended) return;
    const bytes = Buffer.from(payload);
    stdin.write(bytes, () => {
      if (!this.#ended) {
        link.send({ type: 'AGENT_EXEC_CREDIT', channel: start.channel, bytes: bytes.byteLength });
      }
    });
  }

  endInput(): void {
    this.#child.stdin?.end();
  }

  credit(bytes: number): void {
    this.#credit += bytes;
    this.#flush();
  }

  signal(signal: ExecSignal): void {
    this.#termination.signal(signal);
  }

  /** Kills every process of the exec; the EXIT still follows (nobody may read it). */
  kill(): void {
    this.#termination.kill();
  }

  /**
   * The socket carrying this exec is gone: kill it, and drop its output from now on, since no
   * credit will come to resume paused pipes and the exec must still end (it holds a slot of the
   * container's limit until it does).
   */
  abandon(): void {
    this.#discard = true;
    this.#queue.length = 0;
    this.#child.stdout.resume();
    this.#child.stderr.resume();
    this.kill();
  }

  #onTimeout(): void {
    this.#timedOut = true;
    this.#options.log.info({ exec_id: this.#options.start.exec_id }, 'exec timed out');
    this.kill();
  }

  #pump(stream: Stream, readable: Readable): void {
    const kind = stream === 'stdout' ? FrameKind.EXEC_STDOUT : FrameKind.EXEC_STDERR;
    readable.on('data', (chunk: Buffer) => {
      if (stream === 'stderr' && this.#engineHead.length < 4096) {
        this.#engineHead += chunk.subarray(0, 4096).toString('utf8');
      }
      this.#counted[stream] += chunk.byteLength;
      if (this.#discard) return;
      const room = this.#options.start.output_limit_bytes - this.#sent[stream];
      if (room <= 0) return;
      const kept = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
      this.#sent[stream] += kept.byteLength;
      for (let at = 0; at < kept.byteLength; at += MAX_TERMINAL_CHUNK_BYTES) {
        this.#queue.push({ kind, bytes: kept.subarray(at, at + MAX_TERMINAL_CHUNK_BYTES) });
      }
      this.#flush();
    });
    readable.on('end', () => this.#maybeEnd());
    // A pipe of a client that never started closes without an end.
    readable.on('close', () => this.#maybeEnd());
  }

  #flush(): void {
    const { link, start } = this.#options;
    while (this.#queue.length > 0 && this.#credit > 0) {
      const head = this.#queue[0];
      if (head === undefined) break;
      const size = Math.min(head.bytes.byteLength, this.#credit);
      const part = head.bytes.subarray(0, size);
      if (size === head.bytes.byteLength) this.#queue.shift();
      else head.bytes = head.bytes.subarray(size);
      this.#credit -= size;
      link.sendFrame(encodeChannelFrame(start.channel, part, head.kind));
    }
    const waiting = this.#queue.length > 0 && !this.#discard;
    for (const readable of [this.#child.stdout, this.#child.stderr]) {
      if (waiting) readable.pause();
      else readable.resume();
    }
    this.#maybeEnd();
  }

  #maybeEnd(): void {
    if (this.#ended || this.#exit === null || this.#queue.length > 0) return;
    const done = (readable: Readable) => readable.readableEnded || readable.destroyed;
    if (!done(this.#child.stdout) || !done(this.#child.stderr)) return;
    this.#ended = true;
    const { link, start } = this.#options;
    const code = this.#exit.code;
    if (this.#exit.spawnFailed) {
      link.send({
        type: 'AGENT_EXEC_ERROR',
        channel: start.channel,
        code: 'exec_failed',
        message: `could not run ${this.#options.binary} exec`,
      });
    } else if (code === ENGINE_ERROR_EXIT && NOT_RUNNING.test(this.#engineHead)) {
      link.send({
        type: 'AGENT_EXEC_ERROR',
        channel: start.channel,
        code: 'container_not_running',
        message: `container ${start.container_id} is not running`,
      });
    } else {
      link.send({
        type: 'AGENT_EXEC_EXIT',
        channel: start.channel,
        exec_id: start.exec_id,
        exit_code: code === null || code < 0 || code > 255 ? null : code,
        timed_out: this.#timedOut,
        stdout_bytes: this.#counted.stdout,
        stderr_bytes: this.#counted.stderr,
        started_at: this.#startedAt.toISOString(),
        ended_at: new Date().toISOString(),
      });
    }
    this.#options.onEnd();
  }
}
