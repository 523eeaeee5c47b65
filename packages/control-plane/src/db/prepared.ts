// Hot statements with a fixed text ($1… parameters) run straight on the driver: on node-postgres as
// a named prepared statement, parsed and planned once per connection; on PGlite as a plain
// parameterised query. Drizzle's builder re-renders such a statement on every call, which was a
// visible share of a placement's CPU. Inside a transaction the same text runs through drizzle.
// Writing the SQL and mapping rows stay with the callers.
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Db, Tx } from './open.js';
import { selectRows } from './rows.js';

export interface PreparedStatement {
  /** Unique per text: a connection keeps one plan per name for its lifetime. */
  readonly name: string;
  readonly text: string;
}

/**
 * The statement's rows, by database column name. Inside a transaction (`db` is then a Tx, with no
 * driver client of its own) it runs through drizzle on that transaction, unprepared.
 */
export async function queryPrepared<T extends Record<string, unknown>>(
  db: Db | Tx,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<T[]> {
  const client: unknown = (db as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) {
    const result = await client.query<T>({
      name: statement.name,
      text: statement.text,
      values: [...values],
    });
    return result.rows;
  }
  if (client instanceof PGlite) {
    return (await client.query<T>(statement.text, [...values])).rows;
  }
  return selectRows<T>(db, withParams(statement.text, values));
}

/** `text` with each $n replaced by values[n - 1] as a bound parameter (our texts quote no $n). */
function withParams(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (const [index, part] of parts.entries()) {
    if (index % 2 === 0) {
      chunks.push(sql.raw(part));
      continue;
    }
    const position = Number(part);
    if (position < 1 || position > values.length) {
      throw new Error(`parameter $${part} has no value (${values.length} given)`);
    }
    // sql.param: a bare array in a template would be spread into a list, not bound as one value.
    chunks.push(sql`${sql.param(values[position - 1])}`);
  }
  return sql.join(chunks);
}
