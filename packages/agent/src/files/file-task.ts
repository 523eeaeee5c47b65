// What every file operation shares: the handle the manager drives (credit, upload bytes, end of
// upload, cancel) and the one-time end of a channel (DONE or ERROR, then the manager forgets it).
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
