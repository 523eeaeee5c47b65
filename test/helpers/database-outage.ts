// Takes a test's own Postgres database down and back, as a maintenance stop would: new sessions are
// refused and the current ones (each pool connection, a transaction in the middle) are ended. The
// cluster and every other database on it are untouched. PGlite has no outage to take: pg only.
import pg from 'pg';
import { postgresAdminUrl } from './postgres.js';

async function asAdmin(work: (admin: pg.Client) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: await postgresAdminUrl() });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** The name of the database `pool` talks to. */
export async function databaseName(pool: pg.Pool): Promise<string> {
  const name = (await pool.query<{ db: string }>('select current_database() as db')).rows[0]?.db;
  if (name === undefined) throw new Error('no database name');
  return name;
}

/**
 * Refuses new sessions of `name` and ends the current ones, except the backends in `spare`: a
 * session that holds a lock others wait on, spared, cannot let a waiter through to commit in the
 * moment between its own end and theirs.
 */
export function takeDown(name: string, spare: readonly number[] = []): Promise<void> {
  return asAdmin(async (admin) => {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> ALL($2::int[])',
      [name, [...spare]],
    );
  });
}

export function bringBack(name: string): Promise<void> {
  return asAdmin(async (admin) => {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
  });
}

/** Whether some session of `name` waits for a lock right now (a statement stuck behind one). */
export async function waitingOnLock(name: string): Promise<boolean> {
  let waiting = false;
  await asAdmin(async (admin) => {
    const rows = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
      [name],
    );
    waiting = (rows.rowCount ?? 0) > 0;
  });
  return waiting;
}
