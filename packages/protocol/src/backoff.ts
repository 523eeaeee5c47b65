// The agent's reconnect delay as a pure function of the attempt number and a random source, so the
// schedule in constants.ts is computed one way everywhere. Timers and attempt counting are the
// agent's; this only answers "how long before attempt n".
import { RECONNECT_BACKOFF } from './constants.js';

export interface BackoffSchedule {
  readonly initialMs: number;
  readonly factor: number;
  readonly capMs: number;
  readonly jitter: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry): the capped exponential delay,
 * reduced by up to `jitter` of itself so a fleet that lost the control plane at once spreads out.
 * `random` must return a number in [0, 1) like Math.random.
 */
export function reconnectDelayMs(
  attempt: number,
  random: () => number = Math.random,
  schedule: BackoffSchedule = RECONNECT_BACKOFF,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  }
  // Past ~60 doublings the exponential is already far over any cap; clamp to avoid Infinity math.
  const exponential = schedule.initialMs * schedule.factor ** Math.min(attempt, 60);
  const capped = Math.min(schedule.capMs, exponential);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped * (1 - schedule.jitter * r));
}
