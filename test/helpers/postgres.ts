// Fresh, isolated databases for database suites on both drivers: a new database in the run's
// Postgres server (pg), or a new empty data directory (pglite) that the caller opens PGlite on.
// Each is removed in t.teardown (a pg one after its hosts are recorded for the leftovers check).
// Starting the server itself is postgres-run.ts's job.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { runDatabaseUrl } from './postgres-run.js';
import { recordRunHosts } from './run-hosts.js';

export type DbDriver = 'pg' | 'pglite';
export const DB_DRIVERS: readonly DbDriver[] = ['pg', 'pglite'];

export type DbTarget = { driver: 'pg'; url: string } | { driver: 'pglite'; dataDir: string };

/** URL of the run's Postgres server, connected to its `postgres` maintenance database. */
export async function postgresAdminUrl(): Promise<string> {
  return runDatabaseUrl();
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await postgresAdminUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function freshPgDatabase(t: Test): Promise<DbTarget> {
  const name = `rexec_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // template0 never has connections, so concurrent creates from parallel test files cannot clash.
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
  const url = databaseUrl(await postgresAdminUrl(), name);
  t.teardown(async () => {
    // The run's leftovers check (tap-after.ts) looks for what these hosts left on the machine. A
    // test that took the database down (ALLOW_CONNECTIONS false) has it back for that read.
    await withAdmin((client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`));
    await recordRunHosts(url);
    // FORCE ends sessions a failed test leaked, so the drop cannot hang or fail on them.
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });
  return { driver: 'pg', url };
}

async function freshPgliteDirectory(t: Test): Promise<DbTarget> {
  const root = await mkdtemp(join(tmpdir(), 'rexec-pglite-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  // A not-yet-existing directory, as the control plane sees REXEC_DATA_DIR/db on first start.
  return { driver: 'pglite', dataDir: join(root, 'db') };
}

/** A new empty database for driver, dropped or deleted when t ends. */
export async function freshDatabase(t: Test, driver: DbDriver): Promise<DbTarget> {
  switch (driver) {
    case 'pg':
      return freshPgDatabase(t);
    case 'pglite':
      return freshPgliteDirectory(t);
  }
}
