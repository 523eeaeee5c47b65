// Activity in containers, as this replica sees it (terminal input, execs, file transfers, CPU use
// its agents report), coalesced in memory and written as containers.last_active_at in one
// statement per flush interval, however many keystrokes or containers. A container held by a
// running exec or transfer, or whose latest CPU reading was busy, counts as active at every flush. Deciding what is idle
// and stopping it is lifecycle/idle-stop.ts's.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import type { Log } from '../hub/log.js';
import { createPeriodicPass } from '../periodic-pass.js';

export const DEFAULT_ACTIVITY_FLUSH_SECONDS = 10;
/** A container using at least this much CPU (its agent's measure) is active. */
export const DEFAULT_IDLE_CPU_MILLICORES = 50;
/**
 * Heartbeats repeat a container's usage only when it changes, and all of it about once a minute
 * (PROTOCOL.md §5), so a busy reading stands until a lower one arrives, for at most this long:
 * a host that went silent stops vouching for its containers.
 */
const BUSY_READING_MS = 150_000;

/** What the relays, the exec runners, the file service and the hub report to. */
export interface ActivitySink {
  /** Something a user did in the container just now (a keystroke, an exec's start, a query). */
  touch(containerId: string): void;
  /**
   * Counts the container as active from now until the returned release is called (an exec or a
   * transfer in progress); releasing twice is harmless.
   */
  hold(containerId: string): () => void;
  /** A CPU measure from `hostId`'s agent; only the host's own container is written. */
  cpu(hostId: string, containerId: string, millicores: number): void;
}

/** For parts wired without a tracker (some tests, an API-only process): activity goes nowhere. */
export const NO_ACTIVITY: ActivitySink = {
  touch: () => undefined,
  hold: () => () => undefined,
  cpu: () => undefined,
};

export interface ActivityTracker extends ActivitySink {
  /** Writes what is pending now; the idle pass calls it first so this replica's news is in. */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and writes what is still pending. */
  stop(): Promise<void>;
}

export interface ActivityOptions {
  flushIntervalMs: number;
  cpuThresholdMillicores: number;
}

interface Pending {
  at: number;
  /** Set for CPU reports: the row is written only if it is on this host. */
  hostId: string | null;
}

export function createActivityTracker(
  deps: { db: Db; log: Log },
  options: ActivityOptions,
): ActivityTracker {
  let pending = new Map<string, Pending>();
  const holds = new Map<string, number>();
  /** Containers whose latest CPU reading was at or above the threshold, by host and container. */
  const busy = new Map<string, { hostId: string; containerId: string; readAt: number }>();

  function note(containerId: string, hostId: string | null, at = Date.now()): void {
    const known = pending.get(containerId);
    pending.set(containerId, {
      at: Math.max(at, known?.at ?? 0),
      // Once a user's activity (no host) is in, the row is written whatever its host.
      hostId: known?.hostId === null ? null : hostId,
    });
  }

  async function flush(): Promise<void> {
    const now = Date.now();
    for (const containerId of holds.keys()) note(containerId, null, now);
    for (const [key, reading] of busy) {
      if (now - reading.readAt > BUSY_READING_MS) busy.delete(key);
      else note(reading.containerId, reading.hostId, now);
    }
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const rows = JSON.stringify(
      [...batch].map(([id, { at, hostId }]) => ({
        id,
        at: new Date(at).toISOString(),
        host_id: hostId,
      })),
    );
    try {
      await deps.db.execute(
        sql`update containers as c
            set last_active_at = greatest(c.last_active_at, u.at)
            from jsonb_to_recordset(${rows}::jsonb) as u(id text, at timestamptz, host_id text)
            where c.id = u.id and c.deleted_at is null
              and (u.host_id is null or c.host_id = u.host_id)`,
      );
    } catch (error) {
      // Kept for the next flush (newer activity meanwhile wins), so nothing is lost to an outage.
      for (const [id, entry] of batch) note(id, entry.hostId, entry.at);
      throw error;
    }
  }

  const timer = createPeriodicPass(flush, {
    intervalMs: options.flushIntervalMs,
    onError: (error) => deps.log.warn({ err: error }, 'cannot record container activity; retrying'),
    unref: true,
  });

  return {
    touch: (containerId) => note(containerId, null),
    hold(containerId) {
      note(containerId, null);
      holds.set(containerId, (holds.get(containerId) ?? 0) + 1);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        note(containerId, null);
        const left = (holds.get(containerId) ?? 1) - 1;
        if (left <= 0) holds.delete(containerId);
        else holds.set(containerId, left);
      };
    },
    cpu(hostId, containerId, millicores) {
      const key = `${hostId}/${containerId}`;
      if (millicores < options.cpuThresholdMillicores) {
        busy.delete(key);
        return;
      }
      busy.set(key, { hostId, containerId, readAt: Date.now() });
      note(containerId, hostId);
    },
    flush,
    start: () => timer.start(),
    async stop() {
      await timer.stop();
      await flush().catch((error: unknown) =>
        deps.log.warn({ err: error }, 'container activity not recorded at shutdown'),
      );
    },
  };
}
