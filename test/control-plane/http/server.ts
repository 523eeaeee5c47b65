// A real control-plane HTTP server for the HTTP suites: a fresh migrated database on the chosen
// driver, seeded tiers, the bootstrap admin, buildApp listening on 127.0.0.1 port 0, and a small
// fetch wrapper. Log lines are kept in memory so tests can check what was logged.
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import { openDatabase, type Database } from '../../../packages/control-plane/src/db/open.js';
import type { EventWake } from '../../../packages/control-plane/src/events/event-wake.js';
import { buildApp } from '../../../packages/control-plane/src/http/app.js';
import type { ConsoleAssets } from '../../../packages/control-plane/src/http/console-assets.js';
import {
  createIpLimits,
  type IpLimits,
} from '../../../packages/control-plane/src/http/ip-limits.js';
import {
  createRateLimiter,
  type RateLimiter,
} from '../../../packages/control-plane/src/http/rate-limit.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import {
  DEFAULT_TIERS,
  seedTiers,
  updateTier,
} from '../../../packages/control-plane/src/services/tiers.js';
import { bootstrapAdmin, createUser } from '../../../packages/control-plane/src/services/users.js';
import type { AddressPolicy } from '../../../packages/control-plane/src/webhooks/address-policy.js';
import { freshDatabase, type DbDriver } from '../../helpers/postgres.js';
import { capturedLog } from '../../helpers/captured-log.js';

export interface TestServer {
  url: string;
  /** The built app, for what only it can say (e.g. its registered routes). */
  app: FastifyInstance;
  database: Database;
  adminToken: string;
  /** Every JSON log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Reuse a database (e.g. a second replica on the same Postgres); opened fresh otherwise. */
  database?: Database;
  rateLimiter?: RateLimiter;
  /** Per-address limits; lifted (liftedIpLimits) by default so suites may fail auth freely. */
  ipLimits?: IpLimits;
  /** The built web console to serve at `/`; none by default. */
  console?: ConsoleAssets | null;
  /** Webhook address policy; public addresses only when absent, as in production. */
  webhookPolicy?: AddressPolicy;
  /** Wakes event streams; without one GET /events/stream answers 503. */
  eventWake?: EventWake;
  sseHeartbeatMs?: number;
  bodyIdleMs?: number;
  /** REXEC_TRUST_PROXY: proxies whose X-Forwarded-For names the client. */
  trustProxy?: readonly string[];
}

/** A fresh, migrated, seeded database with a bootstrap admin; closed when t ends. */
export async function preparedDatabase(
  t: Test,
  driver: DbDriver,
): Promise<{ database: Database; adminToken: string }> {
  const database = await openDatabase(await freshDatabase(t, driver));
  t.teardown(() => database.close());
  await migrateDatabase(database);
  await seedTiers(database.db);
  const admin = await bootstrapAdmin(database.db);
  if (admin.token === undefined) throw new Error('bootstrapAdmin did not create the admin');
  return { database, adminToken: admin.token };
}

export async function startServer(
  t: Test,
  driver: DbDriver,
  options: ServerOptions = {},
): Promise<TestServer> {
  let database = options.database;
  let adminToken = '';
  if (database === undefined) ({ database, adminToken } = await preparedDatabase(t, driver));
  const { log, lines: logs } = capturedLog('info');
  const app = await buildApp({
    database,
    config: { bind: '127.0.0.1', port: 0 },
    log,
    placer: createPlacer({
      db: database.db,
      strategy: 'binpack',
      cpuOvercommit: DEFAULT_CPU_OVERCOMMIT,
    }),
    rateLimiter: options.rateLimiter ?? createRateLimiter({ database, log }),
    ipLimits: options.ipLimits ?? liftedIpLimits(),
    console: options.console,
    ...(options.webhookPolicy === undefined ? {} : { webhookPolicy: options.webhookPolicy }),
    ...(options.eventWake === undefined ? {} : { eventWake: options.eventWake }),
    ...(options.sseHeartbeatMs === undefined ? {} : { sseHeartbeatMs: options.sseHeartbeatMs }),
    ...(options.bodyIdleMs === undefined ? {} : { bodyIdleMs: options.bodyIdleMs }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const close = () => app.close();
  t.teardown(close);
  return { url, app, database, adminToken, logs, close };
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body; tests check it with protocol schemas. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests narrow it by parsing
  body: any;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON unless `raw` is given. */
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export async function call(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** A new user with a first token, created through the users service. */
export async function newUser(
  server: Pick<TestServer, 'database'>,
  name: string,
  tier = 'community',
): Promise<{ id: string; token: string }> {
  const { user, token } = await createUser(server.database.db, { name, tier });
  return { id: user.id, token: token.token };
}

/** Per-address limits high enough that no suite not about them meets them. */
export function liftedIpLimits(): IpLimits {
  return createIpLimits({ authFailuresPerMin: 100_000, enrollsPerMin: 100_000 });
}

/** Suites that are not about rate limits lift every tier's budgets so many calls fit a minute. */
export async function liftRateLimits(server: Pick<TestServer, 'database'>): Promise<void> {
  for (const tier of DEFAULT_TIERS) {
    await updateTier(server.database.db, tier.name, {
      rate_create_per_min: 10_000,
      rate_ops_per_min: 10_000,
      rate_list_per_min: 10_000,
    });
  }
}
