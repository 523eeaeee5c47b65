// When a failed delivery is tried again: exponential from the base, capped, with jitter so that a
// receiver coming back is not hit by every queue at once. Giving up after the retry window is
// dispatcher.ts's.
export const DEFAULT_RETRY_BASE_MS = 10_000;
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
/** How long a delivery is retried before it is marked failed. */
export const RETRY_WINDOW_MS = 24 * 60 * 60_000;

/** Delay before the next try after `attempts` failed tries (1 = the first failed). */
export function retryDelayMs(
  attempts: number,
  baseMs = DEFAULT_RETRY_BASE_MS,
  random = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(baseMs * 2 ** exponent, Math.max(MAX_RETRY_DELAY_MS, baseMs));
  return Math.round(delay * (0.8 + 0.4 * random()));
}
