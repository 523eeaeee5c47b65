// One background pass on a timer, as the session reaper, host-loss sweep, audit retention, periodic
// reconciliation and webhook dispatcher each need: never two at once (a tick while a pass runs is
// skipped), a failed pass reported and tried again at the next tick, and stop() clearing the timer
// and waiting for the pass in progress. What a pass does is its owner's.

export interface PeriodicPass {
  start(): void;
  /** Clears the timer and resolves once the pass in progress (if any) has ended. */
  stop(): Promise<void>;
}

export interface PeriodicPassOptions<T> {
  intervalMs: number;
  /** A pass that rejected; the next tick tries again. */
  onError(error: unknown): void;
  /** Looks at a pass's result; true runs the next pass at once instead of after an interval. */
  again?(result: T): boolean;
  /** Run a pass as soon as start() is called, not only after the first interval. */
  atStart?: boolean;
  /** Do not hold the process open for this timer alone. */
  unref?: boolean;
}

export function createPeriodicPass<T>(
  pass: () => Promise<T>,
  options: PeriodicPassOptions<T>,
): PeriodicPass {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  function tick(): void {
    if (current !== undefined || timer === undefined) return;
    current = pass()
      .then(
        (result) => {
          if (options.again?.(result) === true) setImmediate(tick);
        },
        (error: unknown) => options.onError(error),
      )
      .finally(() => (current = undefined));
  }

  return {
    start() {
      if (timer !== undefined) return;
      timer = setInterval(tick, options.intervalMs);
      if (options.unref === true) timer.unref();
      if (options.atStart === true) tick();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await current;
    },
  };
}
