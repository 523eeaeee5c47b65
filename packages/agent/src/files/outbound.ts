// Sends a file channel's bytes to the control plane as FILE_DATA frames within the credit it
// granted (PROTOCOL.md §9c). The source is paused, not buffered, while no credit is left, so an
// agent holds at most one source chunk beyond the window per transfer.
import {
  encodeChannelFrame,
  FrameKind,
  MAX_TERMINAL_CHUNK_BYTES,
  type AgentMessage,
} from '@rexec/protocol';

export interface FileLink {
  send(message: AgentMessage): boolean;
  sendFrame(frame: Uint8Array): boolean;
}

/** Something that can be paused while credit is short (a stream). */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class Outbound {
  readonly #queue: Buffer[] = [];
  #credit: number;
  #source: Pausable | null = null;
  #sent = 0;
  #drained: (() => void) | null = null;

  constructor(
    private readonly link: FileLink,
    private readonly channel: number,
    windowBytes: number,
  ) {
    this.#credit = windowBytes;
  }

  get sentBytes(): number {
    return this.#sent;
  }

  /** The stream to pause while bytes wait for credit. */
  attach(source: Pausable): void {
    this.#source = source;
  }

  push(chunk: Buffer): void {
    for (let at = 0; at < chunk.byteLength; at += MAX_TERMINAL_CHUNK_BYTES) {
      this.#queue.push(chunk.subarray(at, at + MAX_TERMINAL_CHUNK_BYTES));
    }
    this.#flush();
  }

  credit(bytes: number): void {
    this.#credit += bytes;
    this.#flush();
  }

  /** Calls `then` once every queued byte went out (at once when none wait). */
  whenDrained(then: () => void): void {
    if (this.#queue.length === 0) then();
    else this.#drained = then;
  }

  /** Drops what waits; nothing more is sent. */
  discard(): void {
    this.#queue.length = 0;
    this.#drained = null;
    this.#credit = 0;
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#credit > 0) {
      const head = this.#queue[0];
      if (head === undefined) break;
      const size = Math.min(head.byteLength, this.#credit);
      if (size === head.byteLength) this.#queue.shift();
      else this.#queue[0] = head.subarray(size);
      this.#credit -= size;
      this.#sent += size;
      this.link.sendFrame(
        encodeChannelFrame(this.channel, head.subarray(0, size), FrameKind.FILE_DATA),
      );
    }
    if (this.#queue.length > 0) {
      this.#source?.pause();
      return;
    }
    // Resuming may deliver more data at once (and pause again): only an empty queue is drained.
    this.#source?.resume();
    if (this.#queue.length > 0) return;
    const drained = this.#drained;
    this.#drained = null;
    drained?.();
  }
}
