// Writes that record what an agent said (a command's result, a status report) are retried when
// Postgres fails them (a blip, a restart, a failover): bounded, with capped exponential backoff.
// Each write is a guarded transition, so one that reconciliation or a newer report made moot
// meanwhile changes nothing on its retry; whatever outlives the attempts is left to the next
// reconciliation (REXEC_RECONCILE_SECONDS). Deciding what to write is the callers'.
import { reconnectDelayMs, type BackoffSchedule } from '@rexec/protocol';
import type { Log } from '../hub/log.js';
import { IllegalTransitionError } from './transitions.js';

export interface WriteRetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  schedule: BackoffSchedule;
}

/** 250 ms doubling to 8 s, 12 attempts: about a minute of outage is ridden out. */
export const RESULT_WRITE_RETRY: WriteRetryPolicy = {
  attempts: 12,
  schedule: { initialMs: 250, factor: 2, capMs: 8_000, jitter: 0.2 },
};

/** Thrown when a write still failed after every attempt; `cause` is the last failure. */
export class WriteRetriesExhaustedError extends Error {
  override readonly name = 'WriteRetriesExhaustedError';
  constructor(what: string, attempts: number, cause: unknown) {
    super(`${what}: still failing after ${attempts} attempts`, { cause });
  }
}

/**
 * Runs `write` until it succeeds or the attempts run out. An IllegalTransitionError is a bug, not
 * a blip, and is rethrown at once. @throws WriteRetriesExhaustedError.
 */
export async function retryWrite<T>(
  log: Log,
  what: string,
  fields: Record<string, unknown>,
  write: () => Promise<T>,
  policy: WriteRetryPolicy = RESULT_WRITE_RETRY,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (error instanceof IllegalTransitionError) throw error;
      if (attempt + 1 >= policy.attempts) {
        throw new WriteRetriesExhaustedError(what, policy.attempts, error);
      }
      const delayMs = reconnectDelayMs(attempt, Math.random, policy.schedule);
      log.warn({ ...fields, err: error, attempt: attempt + 1, retry_in_ms: delayMs }, what);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
