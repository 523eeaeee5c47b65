// A minimal unbounded push queue exposed as an async iterator, used to hand engine events to one
// consumer. Back-pressure is deliberately absent: events are few and small, and dropping them
// would lose container state changes. Producing the events is event-watch.ts's job.

export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  /** Ends the iteration once the queued values are consumed. */
  end(): void;
  readonly ended: boolean;
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
  const values: T[] = [];
  const waiters: ((result: IteratorResult<T>) => void)[] = [];
  let ended = false;

  function next(): Promise<IteratorResult<T>> {
    const value = values.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => waiters.push(resolve));
  }

  return {
    push(value) {
      if (ended) return;
      const waiter = waiters.shift();
      if (waiter === undefined) values.push(value);
      else waiter({ value, done: false });
    },
    end() {
      ended = true;
      for (const waiter of waiters.splice(0)) waiter({ value: undefined, done: true });
    },
    get ended() {
      return ended;
    },
    [Symbol.asyncIterator]() {
      return {
        next,
        return() {
          ended = true;
          values.length = 0;
          for (const waiter of waiters.splice(0)) waiter({ value: undefined, done: true });
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
