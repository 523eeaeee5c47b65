// HELLOs per host, as a token bucket: each HELLO costs a host-row write and a full reconciliation,
// so an agent (or a stolen credential) reconnecting in a loop must not turn that into a flood. A
// well-behaved agent reconnects with capped backoff and never runs the bucket dry. Per replica and
// in memory: several replicas each allow their own burst, which still bounds the work.

/** HELLOs a host may send back to back. */
export const HELLO_BURST = 5;
/** One more HELLO is allowed every this many ms. */
export const HELLO_REFILL_MS = 10_000;

export interface HelloThrottle {
  /** Takes one HELLO for the host; the wait in ms until one is allowed when none is left, else 0. */
  take(hostId: string, now?: number): number;
  /** Forgets hosts whose bucket is full again (called from the hub's watchdog). */
  prune(now?: number): void;
}

export function createHelloThrottle(
  burst = HELLO_BURST,
  refillMs = HELLO_REFILL_MS,
): HelloThrottle {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (bucket: { tokens: number; at: number }, now: number) =>
    Math.min(burst, bucket.tokens + (now - bucket.at) / refillMs);
  return {
    take(hostId, now = Date.now()) {
      const bucket = buckets.get(hostId);
      const tokens = bucket === undefined ? burst : level(bucket, now);
      if (tokens < 1) return Math.ceil((1 - tokens) * refillMs);
      buckets.set(hostId, { tokens: tokens - 1, at: now });
      return 0;
    },
    prune(now = Date.now()) {
      for (const [hostId, bucket] of buckets) {
        if (level(bucket, now) >= burst) buckets.delete(hostId);
      }
    },
  };
}
