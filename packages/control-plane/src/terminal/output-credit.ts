// Output credit toward the agent (PROTOCOL.md §9): bytes count against the window from the moment
// they arrive until the user's socket has flushed them, and only then are they granted back, so a
// slow reader stops the PTY instead of growing buffers here. Small grants are held back while
// more output is still queued, to avoid a CREDIT message per keystroke echo.
export class OutputCredit {
  #unacked = 0;
  #flushed = 0;

  constructor(
    readonly windowBytes: number,
    readonly batchBytes: number = Math.max(1, Math.floor(windowBytes / 8)),
  ) {}

  /** Counts arriving output; false when the agent went beyond its window (a protocol violation). */
  received(bytes: number): boolean {
    this.#unacked += bytes;
    return this.#unacked <= this.windowBytes;
  }

  /**
   * Records bytes the user's socket flushed and returns the credit to grant now (0 for none).
   * `idle` says nothing else is queued on that socket: then even a small grant goes out, since
   * no later flush would carry it.
   */
  flushed(bytes: number, idle: boolean): number {
    this.#flushed += bytes;
    if (this.#flushed < this.batchBytes && !idle) return 0;
    const grant = this.#flushed;
    this.#flushed = 0;
    this.#unacked -= grant;
    return grant;
  }
}
