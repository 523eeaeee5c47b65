// One background exec (PROTOCOL.md §9b): the engine's exec client (always with stdin open), its
// output written to an OutputRing instead of a channel, and any number of attached channels
// reading the ring under their own credit. While a reader is attached and a full ring of output
// waits for it, the pipes pause (end-to-end flow control); with no reader the ring just keeps the
// newest bytes. The timeout and signals work as for a channel exec; keeping the result for the
// grace period after the end is exec-manager.ts's.
import {
  FrameKind,
  MAX_TERMINAL_CHUNK_BYTES,
  type AgentExecExit,
  type ControlExecStart,
  type ExecSignal,
} from '@rexec/protocol';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import type { AttachableExec, ExecAttachment } from './exec-attachment.js';
import { execArgs } from './exec-process.js';
import { ExecTermination } from './exec-signal.js';
import { OutputRing } from './output-ring.js';

export interface BackgroundExecOptions {
  binary: string;
  start: ControlExecStart;
  bufferBytes: number;
  log: Logger;
  signal: (signal: ExecSignal) => Promise<number>;
  /** Called once the command ended and both pipes closed. */
  onExit: () => void;
}

export class BackgroundExec implements AttachableExec {
  readonly ring: OutputRing;
  readonly startedAt = new Date();
  exit: Omit<AgentExecExit, 'channel'> | undefined;
  readonly #options: BackgroundExecOptions;
  readonly #readers = new Set<ExecAttachment>();
  readonly #counted = { stdout: 0, stderr: 0 };
  readonly #child: ResultPromise<{
    buffer: false;
    reject: false;
    encoding: 'buffer';
    stdin: 'pipe';
    stdout: 'pipe';
    stderr: 'pipe';
  }>;
  #timedOut = false;
  #timer: NodeJS.Timeout;
  readonly #termination: ExecTermination;
  #result: { code: number | null } | null = null;

  constructor(options: BackgroundExecOptions) {
    this.#options = options;
    this.ring = new OutputRing(options.bufferBytes);
    this.#child = execa(options.binary, execArgs({ ...options.start, stdin: true }), {
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    this.#child.stdin.on('error', (error) => {
      options.log.debug({ err: error }, 'exec stdin closed early');
    });
    this.#termination = new ExecTermination({
      send: (signal) => options.signal(signal),
      ended: () => this.#result !== null,
      killClient: () => this.#child.kill('SIGKILL'),
      log: options.log,
    });
    this.#pump('stdout', this.#child.stdout);
    this.#pump('stderr', this.#child.stderr);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      options.log.info('background exec timed out');
      this.kill();
    }, options.start.timeout_ms);
    void this.#child.then((result) => {
      clearTimeout(this.#timer);
      this.#termination.ended();
      if (result.exitCode === undefined && result.signal === undefined) {
        options.log.error({ err: result }, 'could not run the exec client');
      }
      const code = this.#timedOut || result.exitCode === undefined ? null : result.exitCode;
      this.#result = { code: code === null || code < 0 || code > 255 ? null : code };
      this.#maybeExit();
    });
  }

  get execId(): string {
    return this.#options.start.exec_id;
  }

  get containerId(): string {
    return this.#options.start.container_id;
  }

  get user(): string | undefined {
    return this.#options.start.user;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  attach(reader: ExecAttachment): void {
    this.#readers.add(reader);
    reader.pump();
  }

  detach(reader: ExecAttachment): void {
    this.#readers.delete(reader);
    this.readerMoved();
  }

  writeStdin(payload: Uint8Array, written: () => void): void {
    const stdin = this.#child.stdin;
    if (!stdin.writable) return;
    stdin.write(Buffer.from(payload), () => written());
  }

  endStdin(): void {
    this.#child.stdin.end();
  }

  signal(signal: ExecSignal): void {
    if (!this.running) return;
    this.#termination.signal(signal);
  }

  /** Kills every process of the exec, repeating until it is gone (see ExecProcess.kill). */
  kill(): void {
    this.#termination.kill();
  }

  /** Pauses the pipes while an attached reader has a whole ring of output still to read. */
  readerMoved(): void {
    const { end, capacityBytes } = this.ring;
    let behind = false;
    for (const reader of this.#readers) {
      if (end - reader.position >= capacityBytes) behind = true;
    }
    for (const readable of [this.#child.stdout, this.#child.stderr]) {
      if (behind) readable.pause();
      else readable.resume();
    }
  }

  #pump(stream: 'stdout' | 'stderr', readable: Readable): void {
    const kind = stream === 'stdout' ? FrameKind.EXEC_STDOUT : FrameKind.EXEC_STDERR;
    readable.on('data', (chunk: Buffer) => {
      this.#counted[stream] += chunk.byteLength;
      for (let at = 0; at < chunk.byteLength; at += MAX_TERMINAL_CHUNK_BYTES) {
        this.ring.push(kind, chunk.subarray(at, at + MAX_TERMINAL_CHUNK_BYTES));
      }
      for (const reader of [...this.#readers]) reader.pump();
      this.readerMoved();
    });
    readable.on('end', () => this.#maybeExit());
    readable.on('close', () => this.#maybeExit());
  }

  #maybeExit(): void {
    if (this.exit !== undefined || this.#result === null) return;
    const done = (readable: Readable) => readable.readableEnded || readable.destroyed;
    if (!done(this.#child.stdout) || !done(this.#child.stderr)) return;
    const { start } = this.#options;
    this.exit = {
      type: 'AGENT_EXEC_EXIT',
      exec_id: start.exec_id,
      exit_code: this.#result.code,
      timed_out: this.#timedOut,
      stdout_bytes: this.#counted.stdout,
      stderr_bytes: this.#counted.stderr,
      started_at: this.startedAt.toISOString(),
      ended_at: new Date().toISOString(),
    };
    for (const reader of [...this.#readers]) reader.pump();
    this.#options.onExit();
  }
}
