// Keyboard input waiting for the agent's credit (PROTOCOL.md §9 flow control): bytes from the
// user's socket queue here and leave in chunks of at most MAX_TERMINAL_CHUNK_BYTES, never more
// than the agent has granted. Pausing the user's socket while bytes wait is the connection's job.
import { MAX_TERMINAL_CHUNK_BYTES } from '@rexec/protocol';

export class InputQueue {
  readonly #chunks: Buffer[] = [];
  #queuedBytes = 0;
  #credit = 0;

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  push(bytes: Buffer): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.push(bytes);
    this.#queuedBytes += bytes.byteLength;
  }

  /** The agent may now receive `bytes` more (its window from OPENED, then each CREDIT). */
  grant(bytes: number): void {
    this.#credit += bytes;
  }

  /** Hands `send` every chunk the credit allows, oldest first. */
  drain(send: (chunk: Buffer) => void): void {
    while (this.#credit > 0 && this.#chunks.length > 0) {
      const head = this.#chunks[0];
      if (head === undefined) break;
      const size = Math.min(head.byteLength, this.#credit, MAX_TERMINAL_CHUNK_BYTES);
      const chunk = size === head.byteLength ? head : head.subarray(0, size);
      if (size === head.byteLength) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(size);
      this.#queuedBytes -= size;
      this.#credit -= size;
      send(chunk);
    }
  }
}
