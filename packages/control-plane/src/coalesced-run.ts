// Runs a task on request, one run at a time, as the relay's claims and the event wake-up's probes
// need: a request while a run is in progress queues one follow-up run however many requests come,
// since that one run sees everything they asked about. A failed run is reported and does not stop
// later ones; stop() ends the requests and waits for the run in progress. When to request is the
// owner's (a notification, a timer).

export interface CoalescedRun {
  /** Runs the task now, or once after the run in progress when one is. No-op after stop(). */
  request(): void;
  /** Runs no more (a queued follow-up is dropped) and resolves once the run in progress ends. */
  stop(): Promise<void>;
}

/** `onError` is told of each run that rejected or threw; it must not throw itself. */
export function createCoalescedRun(
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): CoalescedRun {
  let running: Promise<void> | undefined;
  let queued = false;
  let stopped = false;

  function run(): void {
    // Through a promise constructor, so a task that throws before returning one is a rejection.
    running = new Promise<void>((resolve) => resolve(task())).catch(onError).finally(() => {
      running = undefined;
      if (queued && !stopped) {
        queued = false;
        run();
      }
    });
  }

  return {
    request() {
      if (stopped) return;
      if (running === undefined) run();
      else queued = true;
    },
    async stop() {
      stopped = true;
      queued = false;
      await running;
    },
  };
}
