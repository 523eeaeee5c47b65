// On Postgres, one round trip for the two lookups every rate-limited user route starts with: the
// bearer token's user and tier (read fresh, so a revoked token fails on its next use on any
// replica; expired tokens and disabled users draw nothing) and one point drawn from the caller's shared budget in `rate_limits`, written exactly as
// rate-limiter-flexible's RateLimiterPostgres writes it (same key, same window rules), so replicas
// running either path share one budget. Deciding allowed/denied from the tier is the hook's job.
import type pg from 'pg';
import type { Database } from '../db/open.js';
import { hashToken, isApiTokenShape } from '../ids.js';
import {
  CALLER_SELECT,
  callerOfRow,
  checkUsable,
  touchLastUsed,
  type Authenticated,
} from '../services/tokens.js';
import { RATE_WINDOW_SECONDS, type RateCategory, type RateDecision } from './rate-limit.js';

export interface CallerAndBudget {
  caller: Authenticated;
  /** The decision for the tier's budget of the category a point was drawn from. */
  decide: (budget: number) => RateDecision;
}

/**
 * null when the token is malformed, unknown or revoked (no point is drawn then); `unavailable`
 * when the statement failed, so the caller should authenticate and consume separately.
 */
export type AuthAndConsume = (
  rawToken: string,
  category: RateCategory,
) => Promise<CallerAndBudget | null | 'unavailable'>;

// $1 token hash, $2 rate-limit key prefix ("rexec:<category>:"), $3 the new window's expiry (ms),
// $4 now (ms). The caller is authenticate's own lookup (CALLER_SELECT); the upsert is
// RateLimiterPostgres's own `rlflx-upsert`, fed from the caller row.
const QUERY = `
  WITH caller AS (${CALLER_SELECT}
  ), consumed AS (
    INSERT INTO rate_limits (key, points, expire)
    SELECT $2::text || caller.u_id, 1, $3::bigint FROM caller
    WHERE caller."u_disabledAt" IS NULL AND caller."u_deletedAt" IS NULL
      AND (caller."t_expiresAt" IS NULL OR caller."t_expiresAt" > now())
    ON CONFLICT (key) DO UPDATE SET
      points = CASE WHEN rate_limits.expire <= $4::bigint THEN 1 ELSE rate_limits.points + 1 END,
      expire = CASE WHEN rate_limits.expire <= $4::bigint THEN $3::bigint ELSE rate_limits.expire END
    RETURNING points, expire
  )
  SELECT caller.*, consumed.points AS rl_points, consumed.expire AS rl_expire
  FROM caller LEFT JOIN consumed ON true`;

/** Only on the pg driver (PGlite keeps its limits in memory); undefined otherwise. */
export function createAuthAndConsume(database: Database): AuthAndConsume | undefined {
  const pool: pg.Pool | undefined = database.pool;
  if (database.driver !== 'pg' || pool === undefined) return undefined;
  return async (rawToken, category) => {
    if (!isApiTokenShape(rawToken)) return null;
    const now = Date.now();
    let result;
    try {
      result = await pool.query<Record<string, unknown>>({
        name: 'rexec_auth_and_consume',
        text: QUERY,
        values: [hashToken(rawToken), `rexec:${category}:`, now + RATE_WINDOW_SECONDS * 1000, now],
      });
    } catch {
      // Nothing was written (one statement); the caller takes the two-step path, whose limiter
      // falls back to memory if the store is what failed and reports a lost database otherwise.
      return 'unavailable';
    }
    const row = result.rows[0];
    if (row === undefined) return null;
    const { lastUsedAt, ...caller } = callerOfRow(row);
    checkUsable(caller.user, caller.expiresAt, now);
    // Expired by the database's clock but not yet by ours: the two-step path decides it.
    if (row['rl_points'] === null || row['rl_points'] === undefined) return 'unavailable';
    await touchLastUsed(database.db, caller.tokenId, lastUsedAt, now);
    const consumed = Number(row['rl_points']);
    // A window without an expiry (never written by us) reads as "resets now", as in the library.
    const expire = row['rl_expire'] === null ? 0 : Number(row['rl_expire']);
    return {
      caller,
      decide: (budget) => ({
        allowed: consumed <= budget,
        limit: budget,
        remaining: Math.max(0, budget - consumed),
        resetSeconds: Math.max(1, Math.ceil(Math.max(expire - Date.now(), 0) / 1000)),
      }),
    };
  };
}
