// The rate_limits table, shaped exactly as rate-limiter-flexible's RateLimiterPostgres expects
// (key, points, expire in epoch ms) so the HTTP layer can pass `tableCreated: true`. The limiter
// owns the rows; nothing else reads them.
import { bigint, integer, pgTable, varchar } from 'drizzle-orm/pg-core';

export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});
