// The webhook dispatcher: a timer that leases due deliveries from the outbox (FOR UPDATE SKIP
// LOCKED, then a lease column, so replicas never send one row at once and a crashed sender's rows
// come back when the lease lapses), sends them, and settles each: delivered, retried later with
// backoff, or failed once the retry window is over. Only the oldest pending delivery of a
// (webhook, container) queue is ever due, which keeps each container's events in order.
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';
import { NO_DELIVERY_METRICS, type DeliveryRecorder } from '../metrics/recorders.js';
import { createPeriodicPass } from '../periodic-pass.js';
import type { AddressPolicy } from './address-policy.js';
import { DEFAULT_RETRY_BASE_MS, RETRY_WINDOW_MS, retryDelayMs } from './backoff.js';
import { eventBody, type EventBodyRow } from './event-body.js';
import {
  createDeliveryAgents,
  DELIVERY_TIMEOUT_MS,
  sendDelivery,
  type SendOutcome,
} from './sender.js';

export const DISPATCH_INTERVAL_MS = 1_000;
const BATCH = 100;

export interface DispatcherOptions {
  policy: AddressPolicy;
  intervalMs?: number;
  retryBaseMs?: number;
  retryWindowMs?: number;
  timeoutMs?: number;
}

export interface WebhookDispatcher {
  start(): void;
  stop(): Promise<void>;
  /** One lease-send-settle pass now; resolves with how many deliveries it settled. */
  dispatchOnce(): Promise<number>;
}

interface Leased extends EventBodyRow {
  delivery_id: string;
  url: string;
  secret: string;
  attempts: number;
  created_ms: number;
}

export function createWebhookDispatcher(
  deps: { db: Db; log: Logger; deliveries?: DeliveryRecorder },
  options: DispatcherOptions,
): WebhookDispatcher {
  const recorder = deps.deliveries ?? NO_DELIVERY_METRICS;
  const intervalMs = options.intervalMs ?? DISPATCH_INTERVAL_MS;
  const retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const retryWindowMs = options.retryWindowMs ?? RETRY_WINDOW_MS;
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  // A lease outlives the slowest send, so a row is never taken while it is still being sent.
  const leaseMs = timeoutMs * 3;
  let agents = createDeliveryAgents();

  async function lease(): Promise<Leased[]> {
    return selectRows<Leased & Record<string, unknown>>(
      deps.db,
      sql`with due as (
            select d.id, d.webhook_id, d.event_id from webhook_deliveries d
            where d.status = 'pending' and d.next_attempt_at <= now()
              and (d.leased_until is null or d.leased_until <= now())
              and not exists (
                select 1 from webhook_deliveries p
                where p.webhook_id = d.webhook_id and p.ordering_key = d.ordering_key
                  and p.status = 'pending' and p.id < d.id)
            order by d.next_attempt_at, d.id
            limit ${BATCH}
            for update of d skip locked)
          update webhook_deliveries d
          set leased_until = now() + ${leaseMs} * interval '1 millisecond'
          from due
            join webhooks w on w.id = due.webhook_id
            join events e on e.id = due.event_id
            left join containers c on c.id = e.container_id
          where d.id = due.id
          returning d.id::text as delivery_id, d.attempts, w.url, w.secret,
            (extract(epoch from d.created_at) * 1000)::float8 as created_ms,
            e.id::text as event_id, e.type,
            to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, e.container_id, e.host_id, e.actor_user_id,
            e.reason, e.detail, c.user_id as owner_user_id`,
    );
  }

  async function settle(row: Leased, outcome: SendOutcome): Promise<void> {
    const attempts = row.attempts + 1;
    const lastStatus = outcome.status ?? null;
    if (outcome.ok) {
      await deps.db.execute(
        sql`update webhook_deliveries set status = 'delivered', attempts = ${attempts},
              last_status = ${lastStatus}, last_error = null, leased_until = null,
              delivered_at = now()
            where id = ${row.delivery_id}::bigint`,
      );
      recorder.delivery('delivered');
      return;
    }
    const createdMs = Number(row.created_ms);
    const delayMs = retryDelayMs(attempts, retryBaseMs);
    const giveUp = Date.now() + delayMs - createdMs > retryWindowMs;
    await deps.db.execute(
      sql`update webhook_deliveries set attempts = ${attempts}, last_status = ${lastStatus},
            last_error = ${outcome.error ?? null}, leased_until = null,
            status = ${giveUp ? 'failed' : 'pending'},
            next_attempt_at = now() + ${delayMs} * interval '1 millisecond'
          where id = ${row.delivery_id}::bigint`,
    );
    recorder.delivery(giveUp ? 'failed' : 'retrying');
    if (giveUp) {
      deps.log.warn(
        { delivery_id: row.delivery_id, url: row.url, attempts, error: outcome.error },
        'webhook delivery failed for good',
      );
    }
  }

  async function deliver(row: Leased): Promise<void> {
    const outcome = await sendDelivery(
      options.policy,
      agents,
      { url: row.url, secret: row.secret, eventId: row.event_id, body: eventBody(row) },
      timeoutMs,
    );
    await settle(row, outcome);
  }

  async function dispatchOnce(): Promise<number> {
    const leased = await lease();
    const results = await Promise.allSettled(leased.map(deliver));
    for (const result of results) {
      // The lease lapses and the row is tried again: at-least-once, never lost.
      if (result.status === 'rejected') {
        deps.log.error({ err: result.reason }, 'settling a webhook delivery failed');
      }
    }
    return leased.length;
  }

  const timer = createPeriodicPass(dispatchOnce, {
    intervalMs,
    onError: (error) => deps.log.error({ err: error }, 'webhook dispatch pass failed'),
    // Settling a delivery makes its container's next one due, and a full batch means more are
    // due anyway: after any pass that sent something, go again at once rather than after a whole
    // interval (one delivery per container per interval capped a busy container at 1/s). A pass
    // that finds nothing due waits for the timer.
    again: (count) => count > 0,
    // Deliveries queued while no dispatcher ran go out as soon as one starts.
    atStart: true,
  });

  return {
    dispatchOnce,
    start: () => timer.start(),
    async stop() {
      await timer.stop();
      // Idle keep-alive sockets would hold the process open; a later start() gets fresh pools.
      agents.http.destroy();
      agents.https.destroy();
      agents = createDeliveryAgents();
    },
  };
}
