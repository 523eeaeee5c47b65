// The last N bytes of a background exec's output (PROTOCOL.md §9b): chunks tagged with their
// stream, addressed by offset into the exec's whole output (both streams counted together). The
// oldest chunks are dropped whole once the ring holds more than its capacity; who reads where,
// and when writing must pause, is background-exec.ts's.
import type { FrameKind } from '@rexec/protocol';

interface Chunk {
  readonly start: number;
  readonly kind: FrameKind;
  readonly bytes: Buffer;
}

export class OutputRing {
  readonly #chunks: Chunk[] = [];
  #held = 0;
  #end = 0;

  constructor(readonly capacityBytes: number) {}

  /** Offset one past the newest byte: everything written so far. */
  get end(): number {
    return this.#end;
  }

  /** Offset of the oldest byte still held (equals `end` when empty). */
  get start(): number {
    return this.#chunks[0]?.start ?? this.#end;
  }

  push(kind: FrameKind, bytes: Buffer): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.push({ start: this.#end, kind, bytes });
    this.#end += bytes.byteLength;
    this.#held += bytes.byteLength;
    while (this.#held > this.capacityBytes && this.#chunks.length > 1) {
      const dropped = this.#chunks.shift();
      if (dropped !== undefined) this.#held -= dropped.bytes.byteLength;
    }
  }

  /**
   * Up to `maxBytes` of one stream starting at `from` (which must be in start..end), or undefined
   * when nothing is there yet.
   */
  read(from: number, maxBytes: number): { kind: FrameKind; bytes: Buffer } | undefined {
    if (from >= this.#end || maxBytes <= 0) return undefined;
    const chunk = this.#chunks[this.#indexOf(from)];
    if (chunk === undefined) return undefined;
    const at = from - chunk.start;
    return { kind: chunk.kind, bytes: chunk.bytes.subarray(at, at + maxBytes) };
  }

  /** Index of the chunk holding `offset` (binary search on start offsets). */
  #indexOf(offset: number): number {
    let low = 0;
    let high = this.#chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      const chunk = this.#chunks[middle];
      if (chunk !== undefined && chunk.start <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
