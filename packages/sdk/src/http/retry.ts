// The 429 retry policy: whether and how long to wait before sending a rate-limited request again.
// Only 429 is retried: the server refused before doing anything, so repeating any method is safe.
// Other failures are the caller's to judge (a retried POST after a 500 could create twice).

/** `true` means the defaults; an object tunes them; `false` (the default) never retries. */
export type RetryOption = boolean | { maxRetries?: number; maxDelayMs?: number };

export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  readonly maxRetries: number;
  /** A Retry-After longer than this is not waited out: the 429 is thrown at once. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, maxDelayMs: 60_000 };
const NO_RETRY: RetryPolicy = { maxRetries: 0, maxDelayMs: 0 };

/** Used when a 429 carries no Retry-After at all (a proxy, not the control plane). */
const FALLBACK_DELAY_MS = 1_000;

export function retryPolicy(option: RetryOption | undefined): RetryPolicy {
  if (option === undefined || option === false) return NO_RETRY;
  if (option === true) return DEFAULT_RETRY;
  const maxRetries = option.maxRetries ?? DEFAULT_RETRY.maxRetries;
  const maxDelayMs = option.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 100) {
    throw new TypeError(`retry.maxRetries must be an integer from 0 to 100, got ${maxRetries}`);
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0) {
    throw new TypeError(`retry.maxDelayMs must be a non-negative number, got ${maxDelayMs}`);
  }
  return { maxRetries, maxDelayMs };
}

/**
 * How long to wait before retry number `retry` (1-based) of a request answered 429 with
 * `retryAfterSeconds`, or undefined when the policy says to give up.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterSeconds: number | undefined,
): number | undefined {
  if (retry > policy.maxRetries) return undefined;
  const delay = retryAfterSeconds === undefined ? FALLBACK_DELAY_MS : retryAfterSeconds * 1000;
  return delay > policy.maxDelayMs ? undefined : delay;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
