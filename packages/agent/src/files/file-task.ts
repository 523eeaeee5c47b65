// What every file operation shares: the handle the manager drives (credit, upload bytes, end of
// upload, cancel) and the one-time end of a channel (DONE or ERROR, then the manager forgets it).
import type { ChildProcess } from 'node:child_process';
import type { AgentFileDone, FileOp } from '@rexec/protocol';
import type { Logger } from 'pino';
import type { FileLink } from './outbound.js';

export interface FileTask {
  credit(bytes: number): void;
  input(payload: Uint8Array): void;
  eof(): void;
  cancel(): void;
}

export interface TaskContext {
  /** `podman` or `docker`. */
  binary: string;
  channel: number;
  containerId: string;
  link: FileLink;
  log: Logger;
  /** Read bytes the control plane accepts before it grants credit. */
  outputWindowBytes: number;
  /** Called once, after DONE or ERROR went out. */
  onEnd: () => void;
  /**
   * After a copy failed with `stderr`: resets the engine's storage if that is what broke
   * (runtime/left-mount.ts), in the container's command queue; true when it did.
   */
  repairStorage: (stderr: string) => Promise<boolean>;
}

export type OpOf<K extends FileOp['kind']> = Extract<FileOp, { kind: K }>;

/** Ends a channel once; later calls do nothing. */
export class Ending {
  #ended = false;
  constructor(private readonly context: TaskContext) {}

  get ended(): boolean {
    return this.#ended;
  }

  done(result: Omit<AgentFileDone, 'type' | 'channel'> = {}): void {
    if (this.#end()) {
      this.context.link.send({ type: 'AGENT_FILE_DONE', channel: this.context.channel, ...result });
    }
  }

  fail(code: string, message: string): void {
    if (this.#end()) {
      this.context.link.send({
        type: 'AGENT_FILE_ERROR',
        channel: this.context.channel,
        code,
        message: message.slice(0, 1000),
      });
    }
  }

  #end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.context.onEnd();
    return true;
  }
}

/** Collects the first few KiB of a stream (an engine's stderr). */
export function headOf(stream: NodeJS.ReadableStream | null, limit = 8192): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    if (text.length < limit) text += chunk.toString('utf8');
  });
  return () => text;
}

/** How long an engine copy that was let go of may take to end by itself before it is killed. */
export const LET_GO_GRACE_MS = 30_000;

/**
 * Ends an engine `cp` the operation no longer needs without a signal: podman exits at once on
 * SIGTERM, and one caught while unmounting the container leaves its storage broken
 * (runtime/left-mount.ts). With `drain` the rest of its output is read and dropped, so it finishes
 * cleanly (for what is left of a tar after the file: its trailer, a short remainder); otherwise its
 * pipe is closed, which ends it at its next write or read, before it unmounts (the mount is then
 * left counted, which is harmless), or lets it finish if it had nothing left to move. One still
 * running after LET_GO_GRACE_MS is hung and killed.
 */
export function letGo(child: ChildProcess, pipe: 'stdin' | 'stdout', drain = false): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const stream = child[pipe];
  if (drain && pipe === 'stdout' && child.stdout !== null) {
    child.stdout.unpipe();
    child.stdout.removeAllListeners('data');
    child.stdout.resume();
  } else stream?.destroy();
  const timer = setTimeout(() => child.kill('SIGKILL'), LET_GO_GRACE_MS);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}
