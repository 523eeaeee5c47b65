// Keeps the last N bytes of a stream of output chunks, so a long apt run costs bounded memory
// and the part that explains a failure (its end) survives. Where the bytes come from is the
// caller's business.

export const DEFAULT_LOG_TAIL_BYTES = 64 * 1024;

export class LogTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number = DEFAULT_LOG_TAIL_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a whole number >= 1, got ${maxBytes}`);
    }
  }

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size > this.maxBytes * 2) this.compact();
  }

  /** True when earlier output was dropped to stay within the limit. */
  get truncated(): boolean {
    return this.dropped || this.size > this.maxBytes;
  }

  /** The kept bytes as UTF-8, starting at a character boundary. */
  text(): string {
    this.compact();
    const joined = Buffer.concat(this.chunks);
    let start = 0;
    // A cut may land inside a multi-byte character; skip its continuation bytes (10xxxxxx).
    if (this.dropped) {
      while (start < joined.length && start < 4 && ((joined[start] ?? 0) & 0xc0) === 0x80) start++;
    }
    return joined.subarray(start).toString('utf8');
  }

  private compact(): void {
    if (this.size <= this.maxBytes) return;
    const joined = Buffer.concat(this.chunks);
    const kept = joined.subarray(joined.length - this.maxBytes);
    this.chunks = [kept];
    this.size = kept.length;
    this.dropped = true;
  }
}
