// The creates the API launched in the background (202 `creating`, the agent's answer recorded
// later): main.ts makes one tracker, the containers route hands it each launch, and shutdown waits
// for those under way before it flushes the moves to running and closes the pool, so no result is
// written into a closed pool. Stopping the command channels first fails every command still
// waiting (HubStoppedError), which ends its launch at once; the command itself is in Postgres, so
// another replica, or this one's reconciliation after a restart, finishes it.
import type { Log } from '../hub/log.js';

/** How long shutdown waits for launches still writing their results. */
export const LAUNCH_SETTLE_MS = 10_000;

export interface Launches {
  /** Tracks a launch until it settles; a launch never rejects, this logs it if one does. */
  track(launch: Promise<void>): void;
  /** How many are under way. */
  readonly size: number;
  /**
   * Resolves once every launch under way has settled, or after `timeoutMs` (logging how many were
   * left to the durable command and reconciliation).
   */
  settle(timeoutMs?: number): Promise<void>;
}

export function createLaunches(log: Log): Launches {
  const underWay = new Set<Promise<void>>();
  return {
    track(launch) {
      const tracked = launch.catch((error: unknown) => {
        log.error({ err: error }, 'a background create failed unexpectedly');
      });
      underWay.add(tracked);
      void tracked.finally(() => underWay.delete(tracked));
    },
    get size() {
      return underWay.size;
    },
    async settle(timeoutMs = LAUNCH_SETTLE_MS) {
      if (underWay.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([Promise.all(underWay), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn(
          { launches: underWay.size },
          'creates still under way at shutdown; left to reconciliation',
        );
      }
    },
  };
}
