// The idle stop: a timer that stops running containers whose owner's tier has idle_stop_minutes
// and whose last activity (or start) is older than that, with reason `idle`, data kept. Each
// replica handles the hosts whose sockets it holds, claiming rows with FOR UPDATE SKIP LOCKED and
// a guarded flip of desired status, so two replicas never stop one container twice. Recording
// activity is activity/activity-tracker.ts's.
import { sql } from 'drizzle-orm';
import { selectRows } from '../db/rows.js';
import type { Hub } from '../hub/hub.js';
import type { LifecycleDeps } from './actions.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { systemStop } from './system-stop.js';

export const DEFAULT_IDLE_CHECK_SECONDS = 60;
/** Idle containers stopped per pass, so one pass stays short after a long quiet night. */
const BATCH = 100;

export interface IdleStop {
  start(): void;
  stop(): Promise<void>;
  /** One pass now (the timer calls this; tests too). Resolves when its stops are settled. */
  stopIdleOnce(): Promise<number>;
}

export interface IdleStopOptions {
  intervalMs: number;
  /** How long one of idle_stop_minutes lasts: 60 000, shortened only by tests. */
  minuteMs: number;
}

export function createIdleStop(
  deps: LifecycleDeps & {
    hub: Pick<Hub, 'connectedHostIds'>;
    /** Writes this replica's pending activity, so the pass sees it. */
    activity: { flush(): Promise<void> };
  },
  options: IdleStopOptions,
): IdleStop {
  async function stopIdleOnce(): Promise<number> {
    const hostIds = deps.hub.connectedHostIds();
    if (hostIds.length === 0) return 0;
    await deps.activity.flush();
    // Still running and wanted running, re-checked by the UPDATE after any lock wait: a user's
    // stop or delete, or another replica's claim, that landed first wins.
    const claimed = await selectRows<{ id: string; host_id: string | null }>(
      deps.db,
      sql`update containers set desired_status = 'stopped', desired_reason = 'idle'
          where id in (
            select c.id from containers c
            join users u on u.id = c.user_id
            join tiers t on t.name = u.tier
            where c.status = 'running' and c.desired_status = 'running'
              and c.deleted_at is null
              and c.host_id in (select jsonb_array_elements_text(${JSON.stringify(hostIds)}::jsonb))
              and t.idle_stop_minutes is not null
              and greatest(c.started_at, c.last_active_at, c.created_at)
                + t.idle_stop_minutes * ${options.minuteMs} * interval '1 millisecond' <= now()
            order by c.id
            limit ${BATCH}
            for update of c skip locked
          )
          and status = 'running' and desired_status = 'running' and deleted_at is null
          returning id, host_id`,
    );
    if (claimed.length > 0) {
      deps.log.info({ container_ids: claimed.map((row) => row.id) }, 'stopping idle containers');
    }
    await Promise.allSettled(claimed.map((row) => systemStop(deps, row.id, row.host_id, 'idle')));
    return claimed.length;
  }

  const timer = createPeriodicPass(stopIdleOnce, {
    intervalMs: options.intervalMs,
    onError: (error) => deps.log.error({ err: error }, 'idle stop pass failed'),
    again: (stopped) => stopped === BATCH,
  });
  return { stopIdleOnce, start: () => timer.start(), stop: () => timer.stop() };
}
