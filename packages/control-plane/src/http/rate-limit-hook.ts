// Applies the per-user rate limits to routes that declare a category in `config.rateLimit`, with
// budgets from the caller's tier. Sets X-RateLimit-* on every limited response and turns an empty
// budget into a 429 rate_limited (the error handler adds Retry-After). Runs after the auth hook.
import type { FastifyInstance } from 'fastify';
import type { TierRow } from '../db/schema/tiers.js';
import { rateLimited } from '../errors.js';
import { callerOf } from './auth.js';
import type { RateCategory, RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rate-limit category the route draws from; unlimited when omitted. */
    rateLimit?: RateCategory;
  }
}

function budget(tier: TierRow, category: RateCategory): number {
  switch (category) {
    case 'create':
      return tier.rateCreatePerMin;
    case 'operations':
      return tier.rateOpsPerMin;
    case 'list':
      return tier.rateListPerMin;
  }
}

export function installRateLimits(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    const category = request.routeOptions.config.rateLimit;
    if (category === undefined) return;
    const { user, tier } = callerOf(request);
    const points = budget(tier, category);
    // On Postgres the auth hook usually drew the point already, in its own round trip.
    const decision =
      request.prepaidRate !== null
        ? request.prepaidRate(points)
        : await limiter.consume(user.id, category, points);
    void reply.headers({
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      'x-ratelimit-reset': String(decision.resetSeconds),
    });
    if (!decision.allowed) throw rateLimited(decision.resetSeconds);
  });
}
