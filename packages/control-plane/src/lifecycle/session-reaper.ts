// The session reaper: a timer that stops running containers past session_expires_at with reason
// `session_expired`, data kept. Desired state flips first, so a host that is away now is brought in
// line by reconciliation when it returns. Each replica takes the hosts whose sockets it holds and
// hosts connected nowhere. Choosing the expiry is the start path's job.
import { and, eq, inArray, isNotNull, isNull, lte, ne, or } from 'drizzle-orm';
import { containers } from '../db/schema/containers.js';
import { hosts } from '../db/schema/hosts.js';
import type { Hub } from '../hub/hub.js';
import type { LifecycleDeps } from './actions.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { systemStop } from './system-stop.js';

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
  deps: LifecycleDeps & { hub: Pick<Hub, 'connectedHostIds'> },
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
    // A host whose socket another replica holds is that replica's to stop: flipping the desired
    // status here would leave the stop to its next reconciliation pass, up to a minute later.
    // Hosts connected nowhere are flipped here, and reconciliation stops them at HELLO.
    const local = deps.hub.connectedHostIds();
    const candidates = await deps.db
      .select({ id: containers.id })
      .from(containers)
      .leftJoin(hosts, eq(hosts.id, containers.hostId))
      .where(
        and(
          due,
          or(
            ne(hosts.status, 'online'),
            isNull(hosts.connectedReplica),
            local.length === 0 ? undefined : inArray(containers.hostId, local),
          ),
        ),
      )
      .limit(BATCH);
    if (candidates.length === 0) return 0;
    const expired = await deps.db
      .update(containers)
      .set({ desiredStatus: 'stopped', desiredReason: 'session_expired' })
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
    await Promise.allSettled(
      expired.map(({ id, hostId }) => systemStop(deps, id, hostId, 'session_expired')),
    );
    return expired.length;
  }

  const timer = createPeriodicPass(reapOnce, {
    intervalMs,
    onError: (error) => deps.log.error({ err: error }, 'session reaper pass failed'),
  });
  return { reapOnce, start: () => timer.start(), stop: () => timer.stop() };
}
