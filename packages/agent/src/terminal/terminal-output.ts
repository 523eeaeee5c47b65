// The output of one attached shell on its way to the control plane (PROTOCOL.md §9): queued while
// the channel has no credit, and batched while the shell streams. A PTY hands over at most 4 KB
// per read, and every frame costs a write here, a read, a write and a credit message in the
// control plane and a read in the user's client; so output that follows a frame within
// COALESCE_MS waits up to that long and leaves in frames of up to MAX_TERMINAL_CHUNK_BYTES. A
// small chunk (a keystroke's echo, a prompt) leaves at once with whatever waits before it, so
// typing is never delayed. Pausing the PTY and ending the channel are the session's.
import { MAX_TERMINAL_CHUNK_BYTES } from '@rexec/protocol';

/** A PTY read this big means the shell is producing output faster than anyone types. */
export const STREAM_CHUNK_BYTES = 1024;
/** How long streamed output may wait to travel in a bigger frame. */
export const COALESCE_MS = 2;

export class TerminalOutput {
  readonly #send: (payload: Buffer) => void;
  /** Called after held output went out on its own (the owner re-checks pause and exit). */
  readonly #onSent: () => void;
  #parts: Buffer[] = [];
  #queued = 0;
  #credit: number;
  #timer: NodeJS.Timeout | null = null;
  #lastSentAt = -Infinity;
  #sending = false;
  #cleared = false;

  constructor(creditBytes: number, send: (payload: Buffer) => void, onSent: () => void) {
    this.#credit = creditBytes;
    this.#send = send;
    this.#onSent = onSent;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * True when the PTY should stop being read: output waits for credit. Output that is only held
   * for batching is not blocked, so the next reads can join it.
   */
  get blocked(): boolean {
    return this.#queued > this.#credit || (this.#queued > 0 && this.#timer === null);
  }

  /** Queues a chunk; it leaves now, or within COALESCE_MS when the shell is streaming. */
  push(chunk: Buffer): void {
    if (this.#cleared || chunk.byteLength === 0) return;
    this.#parts.push(chunk);
    this.#queued += chunk.byteLength;
    const streaming =
      chunk.byteLength >= STREAM_CHUNK_BYTES &&
      (this.#timer !== null || performance.now() - this.#lastSentAt < COALESCE_MS);
    if (!streaming) {
      this.flush();
      return;
    }
    // Full frames need not wait; the rest is held for the reads still to come.
    this.#sendWhile(() => this.#queued >= MAX_TERMINAL_CHUNK_BYTES);
    if (this.#queued > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#sendWhile(() => true);
        this.#onSent();
      }, COALESCE_MS);
    }
  }

  /** More credit from the control plane; sends what waited for it unless it is being held. */
  grant(bytes: number): void {
    this.#credit += bytes;
    if (this.#timer === null) this.#sendWhile(() => true);
    else this.#sendWhile(() => this.#queued >= MAX_TERMINAL_CHUNK_BYTES);
  }

  /** Sends everything the credit allows now, held output included. */
  flush(): void {
    this.#stopTimer();
    this.#sendWhile(() => true);
  }

  /** Drops whatever is queued; nothing is sent any more. */
  clear(): void {
    this.#cleared = true;
    this.#stopTimer();
    this.#parts = [];
    this.#queued = 0;
  }

  #sendWhile(more: () => boolean): void {
    // A link may hand credit back from inside send; the running loop picks it up.
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (!this.#cleared && this.#queued > 0 && this.#credit > 0 && more()) {
        const size = Math.min(this.#queued, this.#credit, MAX_TERMINAL_CHUNK_BYTES);
        const payload = this.#take(size);
        this.#credit -= size;
        this.#lastSentAt = performance.now();
        this.#send(payload);
      }
    } finally {
      this.#sending = false;
    }
  }

  /** The first `size` queued bytes, as one buffer (a view when they are one chunk's). */
  #take(size: number): Buffer {
    const taken: Buffer[] = [];
    let count = 0;
    while (count < size) {
      const head = this.#parts[0] as Buffer;
      const part = Math.min(head.byteLength, size - count);
      taken.push(head.subarray(0, part));
      count += part;
      if (part === head.byteLength) this.#parts.shift();
      else this.#parts[0] = head.subarray(part);
    }
    this.#queued -= size;
    return taken.length === 1 ? (taken[0] as Buffer) : Buffer.concat(taken, size);
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
