// Output credit toward the agent (PROTOCOL.md §9): bytes count against the window from the moment
// they arrive until the user's socket has flushed them, and only then are they granted back, so a
// slow reader stops the PTY instead of growing buffers here. Small grants are held back while
// more output is still queued, to avoid a CREDIT message per keystroke echo. A user who paused
// (their terminal widget has a backlog the socket cannot show) gets no grants until they resume.
export class OutputCredit {
  #unacked = 0;
  #flushed = 0;
  #paused = false;

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
    if (this.#paused || (this.#flushed < this.batchBytes && !idle)) return 0;
    return this.#grant();
  }

  /** No grants from now on: the agent stops once it has used up its window. */
  pause(): void {
    this.#paused = true;
  }

  /** Ends a pause; returns the credit held back meanwhile, to grant now (0 for none). */
  resume(): number {
    if (!this.#paused) return 0;
    this.#paused = false;
    return this.#flushed > 0 ? this.#grant() : 0;
  }

  #grant(): number {
    const grant = this.#flushed;
    this.#flushed = 0;
    this.#unacked -= grant;
    return grant;
  }
}
