// Benchmark: authenticated GET /api/v1/containers returning 20 containers, against the real app on
// a real Postgres (REXEC_BENCH_DATABASE_URL, or a throwaway cluster started like the test harness),
// driven by autocannon for ~10 s. Prints requests/s and p50/p99 latency; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/api.ts
import autocannon from 'autocannon';
import { pino } from 'pino';
import pg from 'pg';
import { migrateDatabase } from '../packages/control-plane/src/db/migrate.js';
import { openDatabase } from '../packages/control-plane/src/db/open.js';
import { containers } from '../packages/control-plane/src/db/schema/index.js';
import { buildApp } from '../packages/control-plane/src/http/app.js';
import { createRateLimiter } from '../packages/control-plane/src/http/rate-limit.js';
import { newId } from '../packages/control-plane/src/ids.js';
import { createScheduler } from '../packages/control-plane/src/scheduler/scheduler.js';
import { seedTiers, updateTier } from '../packages/control-plane/src/services/tiers.js';
import { createUser } from '../packages/control-plane/src/services/users.js';
import { startCluster, stopCluster, type ClusterInfo } from '../test/helpers/postgres-cluster.js';

const DURATION_SECONDS = Number(process.env['REXEC_BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['REXEC_BENCH_CONNECTIONS'] ?? 20);
const CONTAINERS = 20;

async function benchDatabaseUrl(): Promise<{ url: string; cluster?: ClusterInfo }> {
  const given = process.env['REXEC_BENCH_DATABASE_URL'];
  if (given !== undefined && given !== '') return { url: given };
  const clusterInfo = await startCluster();
  const name = `rexec_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: clusterInfo.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(clusterInfo.url);
  url.pathname = `/${name}`;
  return { url: url.toString(), cluster: clusterInfo };
}

async function main(): Promise<void> {
  const { url, cluster } = await benchDatabaseUrl();
  const database = await openDatabase({ url });
  try {
    await migrateDatabase(database);
    await seedTiers(database.db);
    // The limiter still runs on every request (its cost is part of the figure); the budget is
    // lifted so the benchmark measures answers, not 429s.
    await updateTier(database.db, 'community', { rate_list_per_min: 100_000_000 });
    const { user, token } = await createUser(database.db, { name: 'bench', tier: 'community' });
    await database.db.insert(containers).values(
      Array.from({ length: CONTAINERS }, (_, i) => ({
        id: newId('ctr'),
        userId: user.id,
        name: `bench-${i}`,
        image: 'debian:bookworm',
        role: 'barebone',
        status: 'running' as const,
        desiredStatus: 'running' as const,
        cpuMillicores: 100,
        memoryMb: 100,
        diskMb: 100,
        networkMbps: 10,
        startedAt: new Date(),
      })),
    );

    // Request logging off (warn): the figure is the API's cost, not the log sink's.
    const log = pino({ level: 'warn' });
    const app = await buildApp({
      database,
      config: { bind: '127.0.0.1', port: 0 },
      log,
      scheduler: createScheduler({ strategy: 'binpack' }),
      rateLimiter: createRateLimiter({ database, log }),
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const target = `${base}${process.env['REXEC_BENCH_PATH'] ?? '/api/v1/containers'}`;
    const check = await fetch(target, { headers: { authorization: `Bearer ${token.token}` } });
    const body = (await check.json()) as { containers: unknown[] };
    if (
      check.status !== 200 ||
      (body.containers !== undefined && body.containers.length !== CONTAINERS)
    ) {
      throw new Error(`unexpected answer before the run: ${check.status}`);
    }

    const result = await autocannon({
      url: target,
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
      headers: { authorization: `Bearer ${token.token}` },
    });
    // autocannon drops its sockets at the deadline; let the requests still running finish first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await app.close();

    const line = (label: string, value: string) => console.log(`${label.padEnd(22)} ${value}`);
    console.log(
      `GET /api/v1/containers (${CONTAINERS} containers, Postgres, ${CONNECTIONS} connections, ${DURATION_SECONDS} s)`,
    );
    line('requests/s (mean)', result.requests.average.toFixed(0));
    line('latency p50', `${result.latency.p50} ms`);
    line('latency p99', `${result.latency.p99} ms`);
    line('requests total', String(result.requests.total));
    line('non-2xx answers', String(result.non2xx));
    line('errors/timeouts', `${result.errors}/${result.timeouts}`);
  } finally {
    await database.close();
    if (cluster !== undefined) stopCluster(cluster);
  }
}

await main();
