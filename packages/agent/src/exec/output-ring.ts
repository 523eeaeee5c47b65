// The last N bytes of a background exec's output (PROTOCOL.md §9b): chunks tagged with their
// stream, addressed by offset into the exec's whole output (both streams counted together). Once
// the ring holds more than its capacity the oldest bytes go: whole chunks first, then the front of
// the oldest one (a single read can be larger than the whole ring); who reads where, and when
// writing must pause, is background-exec.ts's.
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
    while (this.#held > this.capacityBytes) {
      const oldest = this.#chunks[0];
      if (oldest === undefined) break;
      const excess = this.#held - this.capacityBytes;
      if (oldest.bytes.byteLength <= excess) {
        this.#chunks.shift();
        this.#held -= oldest.bytes.byteLength;
      } else {
        // A copy, so the dropped front of a large read is not kept alive by the view.
        this.#chunks[0] = {
          start: oldest.start + excess,
          kind: oldest.kind,
          bytes: Buffer.from(oldest.bytes.subarray(excess)),
        };
        this.#held -= excess;
      }
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
