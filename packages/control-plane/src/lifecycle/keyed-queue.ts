// Runs async work one at a time per key, in the order it was handed in: status reports about one
// container are applied in the order the agent sent them (an exit after a quota stop must not
// overtake it). Different keys run concurrently; what the work does is the caller's.

export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` after every earlier work of `key` has settled; settles as `work` does. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? work() : previous.then(work);
    // The tail only orders: `work`'s failure reaches the caller through `result`, so it is not
    // lost here, and must not stop the next report of the same key from running.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and leak checks). */
  get size(): number {
    return this.#tails.size;
  }
}
