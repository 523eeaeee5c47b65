// Opens the control plane's database on either driver: node-postgres when given a URL, embedded
// PGlite when given a data directory. Callers get one `Db` type both satisfy. Migrating is
// migrate.ts's job; choosing the target from the environment is main.ts's.
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { initPgliteInChild } from './pglite-init.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type DbTarget = { url: string } | { dataDir: string };

export interface Database {
  db: Db;
  driver: 'pg' | 'pglite';
  /** The node-postgres pool, present on the pg driver only (the rate limiter's store uses it). */
  pool?: pg.Pool;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long a query may wait for a connection (a free one from the pool, or a new one from the
 * server) before it fails as "database unavailable".
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The longest a statement may run (server side), and, plus a grace, wait for its answer. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/** Beyond the statement timeout, how long the client waits before deciding the server is stuck. */
const QUERY_TIMEOUT_GRACE_MS = 2_000;
/**
 * The longest a session may sit in an open transaction between statements before Postgres ends
 * it. Rexec's transactions are a few statements in a row, so only a stuck one reaches it; until it
 * does, such a transaction holds back every events reader (event-reads.ts) and its row locks.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * Postgres's shared buffers in PGlite. PGlite touches all of its shared memory at start, so every
 * MB here is a MB of the control plane's resident memory from the first second; initdb's 128 MB
 * default was half of the whole process's memory target. An embedded database is small (a few MB
 * past the catalogs), and a page not in the buffers is a read from the OS page cache.
 */
export const PGLITE_SHARED_BUFFERS_MB = 16;

/** PGlite's own start parameters (single-user mode and the rest) plus the buffers above. */
const pgliteStartParams = (): string[] => [
  ...PGlite.defaultStartParams,
  '-c',
  `shared_buffers=${PGLITE_SHARED_BUFFERS_MB}MB`,
];

export interface OpenOptions {
  /** pg pool size; the default suits one replica on a small machine. */
  poolSize?: number;
  /** REXEC_DATABASE_CONNECT_TIMEOUT_MS: the longest wait for a pooled or new connection. */
  connectTimeoutMs?: number;
  /**
   * REXEC_DATABASE_STATEMENT_TIMEOUT_MS: Postgres cancels longer statements; a server that does not
   * answer at all (stopped, frozen) is given up on by the client a little later. Both failures
   * read as "database unavailable" (503) instead of a request that hangs.
   */
  statementTimeoutMs?: number;
  /** Postgres idle_in_transaction_session_timeout (DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS). */
  idleInTransactionTimeoutMs?: number;
}

export async function openDatabase(target: DbTarget, options: OpenOptions = {}): Promise<Database> {
  return 'url' in target ? openPg(target.url, options) : openPglite(target.dataDir);
}

async function openPg(url: string, options: OpenOptions): Promise<Database> {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout:
      options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    query_timeout: statementTimeoutMs + QUERY_TIMEOUT_GRACE_MS,
  });
  // An idle client losing its connection (server restart) must not crash the process; the next
  // query reports the failure to its caller instead.
  pool.on('error', () => undefined);
  // Nor one checked out, as in a transaction when the server goes away: the pool listens only to
  // idle clients, and an 'error' nobody hears is an uncaught exception. The query in flight is
  // rejected with the same error, so its caller still learns of it (503 unavailable).
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end();
    throw new Error(`cannot connect to Postgres at ${redact(url)}`, { cause: error });
  }
  const db = drizzlePg({ client: pool, schema });
  return {
    db,
    driver: 'pg',
    pool,
    ping: async () => {
      await pool.query('select 1');
    },
    close: once(() => pool.end()),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  let client: PGlite;
  const startParams = pgliteStartParams();
  try {
    // A first start's initdb runs elsewhere: its scratch memory would outlive it here.
    await initPgliteInChild(dataDir, startParams);
    client = await PGlite.create({ dataDir, startParams });
  } catch (error) {
    throw new Error(`cannot open the embedded database in ${dataDir}`, { cause: error });
  }
  const db = drizzlePglite({ client, schema });
  return {
    db,
    driver: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: once(() => client.close()),
  };
}

/** Closing twice (a shutdown path plus a test teardown) must not fail. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

/** The URL without its password, for error messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
