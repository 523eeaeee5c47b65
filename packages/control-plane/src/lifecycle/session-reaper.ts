// The session reaper: a timer that stops running containers past session_expires_at with reason
// `session_expired`, data kept. Desired state flips first, so a host that is away now is brought in
// line by reconciliation when it returns. Choosing the expiry is the start path's job.
import { stopCommand } from '@rexec/protocol';
import { and, eq, inArray, isNotNull, isNull, lte } from 'drizzle-orm';
import { containers } from '../db/schema/containers.js';
import { STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';
import { markStopped } from './outcomes.js';
import { loadContainer } from './transitions.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { retryWrite } from './write-retry.js';

export const REAPER_INTERVAL_MS = 30_000;
/** Expired containers handled per tick, so one tick stays short after a long outage. */
const BATCH = 100;

export interface SessionReaper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now (the timer calls this; tests too). Resolves when its stops are settled. */
  reapOnce(): Promise<number>;
}

export function createSessionReaper(
  deps: LifecycleDeps,
  intervalMs = REAPER_INTERVAL_MS,
): SessionReaper {
  async function reapOnce(): Promise<number> {
    const due = and(
      eq(containers.status, 'running'),
      eq(containers.desiredStatus, 'running'),
      isNull(containers.deletedAt),
      isNotNull(containers.hostId),
      lte(containers.sessionExpiresAt, new Date()),
    );
    const candidates = await deps.db
      .select({ id: containers.id })
      .from(containers)
      .where(due)
      .limit(BATCH);
    if (candidates.length === 0) return 0;
    const expired = await deps.db
      .update(containers)
      .set({ desiredStatus: 'stopped' })
      .where(
        and(
          due,
          inArray(
            containers.id,
            candidates.map((c) => c.id),
          ),
        ),
      )
      .returning({ id: containers.id, hostId: containers.hostId });
    await Promise.allSettled(expired.map(({ id, hostId }) => reap(deps, id, hostId)));
    return expired.length;
  }

  const timer = createPeriodicPass(reapOnce, {
    intervalMs,
    onError: (error) => deps.log.error({ err: error }, 'session reaper pass failed'),
  });
  return { reapOnce, start: () => timer.start(), stop: () => timer.stop() };
}

async function reap(deps: LifecycleDeps, id: string, hostId: string | null): Promise<void> {
  if (hostId === null || !deps.hub.isConnected(hostId)) return;
  try {
    const result = await deps.hub.sendCommand(hostId, id, stopCommand(), STOP_TIMEOUT_MS);
    if (!result.ok) {
      deps.hub.acknowledge(hostId, result.command_id);
      deps.log.warn({ container_id: id }, 'session expiry stop did not succeed');
      return;
    }
    await retryWrite(
      deps.log,
      'cannot record a session expiry stop; retrying',
      { container_id: id, command_id: result.command_id },
      async () => {
        const row = await loadContainer(deps.db, id);
        if (row !== undefined) await markStopped(deps.db, row, 'session_expired');
      },
    );
    deps.hub.acknowledge(hostId, result.command_id);
  } catch (error) {
    deps.log.warn({ container_id: id, err: error }, 'session expiry stop not confirmed');
  }
}
