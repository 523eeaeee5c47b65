// Benchmark: authenticated GET /api/v1/containers returning 20 containers, against the real app on
// a real Postgres (REXEC_BENCH_DATABASE_URL, or a throwaway cluster started like the test harness).
// autocannon runs as its own process (its CLI) so the load generator does not share the server's
// event loop; /healthz on the same server is measured first as the ceiling to compare against.
// Prints requests/s and p50/p99 latency for both; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/api.ts
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import pg from 'pg';
import { migrateDatabase } from '../packages/control-plane/src/db/migrate.js';
import { openDatabase } from '../packages/control-plane/src/db/open.js';
import { containers } from '../packages/control-plane/src/db/schema/index.js';
import { buildApp } from '../packages/control-plane/src/http/app.js';
import { createRateLimiter } from '../packages/control-plane/src/http/rate-limit.js';
import { newId } from '../packages/control-plane/src/ids.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../packages/control-plane/src/scheduler/placer.js';
import { seedTiers, updateTier } from '../packages/control-plane/src/services/tiers.js';
import { createUser } from '../packages/control-plane/src/services/users.js';
import { startCluster, stopCluster, type ClusterInfo } from '../test/helpers/postgres-cluster.js';

const DURATION_SECONDS = Number(process.env['REXEC_BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['REXEC_BENCH_CONNECTIONS'] ?? 20);
const PIPELINING = Number(process.env['REXEC_BENCH_PIPELINING'] ?? 1);
const BENCH_PATH = process.env['REXEC_BENCH_PATH'] ?? '/api/v1/containers';
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

/** The parts of autocannon's `--json` report this benchmark prints. */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs the autocannon CLI in a child process against `url` and returns its JSON report. */
async function load(url: string, headers: Record<string, string>): Promise<LoadResult> {
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [cli, '--json', '-c', String(CONNECTIONS), '-d', String(DURATION_SECONDS)];
  args.push('-p', String(PIPELINING));
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`autocannon exited with ${String(code)}: ${stderr.trim()}`);
  return JSON.parse(stdout) as LoadResult;
}

/**
 * `cpu` is this process's CPU time during the run (the server alone: the load generator and
 * Postgres are other processes). Per request it is steadier than requests/s on a shared machine.
 */
function report(title: string, result: LoadResult, cpu: NodeJS.CpuUsage): void {
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(20)} ${value}`);
  console.log(title);
  line('requests/s (mean)', result.requests.average.toFixed(0));
  line('latency p50', `${result.latency.p50} ms`);
  line('latency p99', `${result.latency.p99} ms`);
  line('requests total', String(result.requests.total));
  line('non-2xx answers', String(result.non2xx));
  line('errors/timeouts', `${result.errors}/${result.timeouts}`);
  const perRequest = (cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total);
  line('server CPU/request', `${perRequest.toFixed(3)} ms`);
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
      placer: createPlacer({
        db: database.db,
        strategy: 'binpack',
        cpuOvercommit: DEFAULT_CPU_OVERCOMMIT,
      }),
      rateLimiter: createRateLimiter({ database, log }),
    });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const headers = { authorization: `Bearer ${token.token}` };
      const target = `${base}${BENCH_PATH}`;
      const check = await fetch(target, { headers });
      const body = (await check.json()) as { containers?: unknown[] };
      if (
        check.status !== 200 ||
        (body.containers !== undefined && body.containers.length !== CONTAINERS)
      ) {
        throw new Error(`unexpected answer before the run: ${check.status}`);
      }

      const setup = `${CONNECTIONS} connections, pipelining ${PIPELINING}, ${DURATION_SECONDS} s`;
      let cpu = process.cpuUsage();
      const ceiling = await load(`${base}/healthz`, {});
      const ceilingCpu = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      const measured = await load(target, headers);
      const measuredCpu = process.cpuUsage(cpu);
      report(`GET /healthz (no auth, no database: the ceiling; ${setup})`, ceiling, ceilingCpu);
      report(
        `GET ${BENCH_PATH} (${CONTAINERS} containers, Postgres; ${setup})`,
        measured,
        measuredCpu,
      );
      const share = (100 * measured.requests.average) / ceiling.requests.average;
      console.log(`  ${'share of /healthz'.padEnd(20)} ${share.toFixed(0)}%`);
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    if (cluster !== undefined) stopCluster(cluster);
  }
}

await main();
