// A bounded ring of a shell's most recent output (PROTOCOL.md §9 scrollback): every byte the PTY
// produces goes in, the oldest fall out once the capacity is reached, and a resume replays what is
// left. It knows nothing of terminals: a cut may split an escape sequence or a UTF-8 character,
// which the user's terminal emulator tolerates at the top of a replay.

export class Scrollback {
  readonly #ring: Buffer;
  #start = 0;
  #length = 0;

  constructor(capacityBytes: number) {
    if (!Number.isInteger(capacityBytes) || capacityBytes < 1) {
      throw new RangeError(`scrollback capacity must be a positive integer, got ${capacityBytes}`);
    }
    this.#ring = Buffer.alloc(capacityBytes);
  }

  get length(): number {
    return this.#length;
  }

  append(chunk: Uint8Array): void {
    const capacity = this.#ring.byteLength;
    // Only the tail of an oversized chunk can survive anyway.
    const bytes = chunk.byteLength > capacity ? chunk.subarray(chunk.byteLength - capacity) : chunk;
    let end = (this.#start + this.#length) % capacity;
    let offset = 0;
    while (offset < bytes.byteLength) {
      const run = Math.min(bytes.byteLength - offset, capacity - end);
      this.#ring.set(bytes.subarray(offset, offset + run), end);
      offset += run;
      end = (end + run) % capacity;
    }
    const total = this.#length + bytes.byteLength;
    if (total > capacity) {
      this.#start = (this.#start + total - capacity) % capacity;
      this.#length = capacity;
    } else {
      this.#length = total;
    }
  }

  /** A copy of the retained bytes, oldest first. */
  snapshot(): Buffer {
    const capacity = this.#ring.byteLength;
    const firstRun = Math.min(this.#length, capacity - this.#start);
    return Buffer.concat([
      this.#ring.subarray(this.#start, this.#start + firstRun),
      this.#ring.subarray(0, this.#length - firstRun),
    ]);
  }
}
