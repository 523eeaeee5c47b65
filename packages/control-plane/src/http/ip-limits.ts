// Per-client-address limits for what anyone may try without an account: failed authentications
// (after the budget is spent, requests from that address are refused before any database lookup,
// so a flood of well-formed bogus tokens costs memory, not queries) and agent enrollments. Kept in
// this process's memory on purpose: checking them must not touch the database they protect, so
// each replica counts on its own. Per-user limits are rate-limit.ts's.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors.js';
import { RATE_WINDOW_SECONDS } from './rate-limit.js';

export const DEFAULT_AUTH_FAILURES_PER_MIN = 30;
export const DEFAULT_ENROLLS_PER_MIN = 20;

export interface IpLimitOptions {
  /** Failed authentications an address may make per minute (REXEC_AUTH_FAILURES_PER_IP_PER_MIN). */
  authFailuresPerMin?: number;
  /** Enrollment attempts an address may make per minute (REXEC_ENROLLS_PER_IP_PER_MIN). */
  enrollsPerMin?: number;
}

export interface IpLimits {
  /** @throws RexecError rate_limited while `ip` has no failed authentications left. */
  checkAuth(ip: string): Promise<void>;
  /** Counts one failed authentication from `ip`. */
  authFailed(ip: string): Promise<void>;
  /** Draws one enrollment attempt. @throws RexecError rate_limited when none is left. */
  enroll(ip: string): Promise<void>;
}

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

export function createIpLimits(options: IpLimitOptions = {}): IpLimits {
  const authPoints = options.authFailuresPerMin ?? DEFAULT_AUTH_FAILURES_PER_MIN;
  const failures = new RateLimiterMemory({
    points: authPoints,
    duration: RATE_WINDOW_SECONDS,
    keyPrefix: 'rexec:auth-failures',
  });
  const enrolls = new RateLimiterMemory({
    points: options.enrollsPerMin ?? DEFAULT_ENROLLS_PER_MIN,
    duration: RATE_WINDOW_SECONDS,
    keyPrefix: 'rexec:enroll',
  });
  return {
    async checkAuth(ip) {
      const res = await failures.get(ip);
      if (res !== null && res.consumedPoints >= authPoints) throw rateLimited(retryAfter(res));
    },
    async authFailed(ip) {
      await failures.penalty(ip, 1);
    },
    async enroll(ip) {
      try {
        await enrolls.consume(ip);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) throw rateLimited(retryAfter(outcome));
        throw outcome;
      }
    },
  };
}
