// Per-user rate limits by category (DESIGN §3), with budgets from the caller's tier. On Postgres
// the counters live in the shared `rate_limits` table (rate-limiter-flexible's Postgres store), so
// every replica draws from one budget; on PGlite (one process) they live in memory.
// If the Postgres store fails, we fall back to a per-process in-memory limiter and log a warning:
// limits keep holding per replica instead of failing every request or letting floods through.
import type { FastifyBaseLogger } from 'fastify';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Database } from '../db/open.js';

export type RateCategory = 'create' | 'operations' | 'list';

export const RATE_WINDOW_SECONDS = 60;

export interface RateDecision {
  allowed: boolean;
  /** The budget of the window (the tier's per-minute figure). */
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets. */
  resetSeconds: number;
}

export interface RateLimiter {
  consume(userId: string, category: RateCategory, pointsPerMinute: number): Promise<RateDecision>;
}

export interface RateLimiterOptions {
  database: Database;
  log: FastifyBaseLogger;
}

export function createRateLimiter({ database, log }: RateLimiterOptions): RateLimiter {
  // One limiter per (store, category, budget). The key prefix is the category alone, so a user
  // whose tier changes keeps the points already consumed in the current window.
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (store: 'pg' | 'memory', category: RateCategory, points: number) => {
    const key = `${store}:${category}:${points}`;
    let limiter = limiters.get(key);
    if (limiter === undefined) {
      const common = { points, duration: RATE_WINDOW_SECONDS, keyPrefix: `rexec:${category}` };
      limiter =
        store === 'pg' && database.pool !== undefined
          ? new RateLimiterPostgres({
              ...common,
              storeClient: database.pool,
              storeType: 'pool',
              tableName: 'rate_limits',
              tableCreated: true,
            })
          : new RateLimiterMemory(common);
      limiters.set(key, limiter);
    }
    return limiter;
  };
  const primary = database.driver === 'pg' ? 'pg' : 'memory';

  return {
    consume: async (userId, category, points) => {
      try {
        return decide(points, await limiterFor(primary, category, points).consume(userId));
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return decide(points, outcome, false);
        if (primary === 'memory') throw outcome;
        // The shared store failed (database trouble); limiting per process is the safe middle.
        log.warn({ err: outcome, category }, 'rate limit store failed; using in-memory limits');
        try {
          return decide(points, await limiterFor('memory', category, points).consume(userId));
        } catch (fallback) {
          if (fallback instanceof RateLimiterRes) return decide(points, fallback, false);
          throw fallback;
        }
      }
    },
  };
}

function decide(limit: number, res: RateLimiterRes, allowed = true): RateDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}
