// Raw SQL with typed rows on either driver: both node-postgres and PGlite answer `execute` with a
// `rows` array, which the shared Db type cannot express. Prefer the query builder; this is for the
// few statements it cannot write (and for tests inspecting tables).
import type { SQL } from 'drizzle-orm';
import type { Db } from './open.js';

export async function selectRows<T extends Record<string, unknown>>(
  db: Db,
  query: SQL,
): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}
