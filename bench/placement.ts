// Benchmark: placement throughput. N simulated agents (real `ws` sockets speaking PROTOCOL.md via
// test/control-plane/hub/agent-peer.ts: enrollment with a join token, HELLO/WELCOME, heartbeats,
// every create answered with an ok result and a running container) against a real control plane
// process on a throwaway Postgres; several users then fire creates over REST concurrently. Prints
// placements/s (202s per second), the time until all are `running`, and a check straight from
// Postgres that no host is over-reserved. Asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/placement.ts
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  JoinTokenCreated,
  Tier,
  UserCreated,
  decodeControlMessage,
} from '@rexec/protocol';
import { AgentPeer } from '../test/control-plane/hub/agent-peer.js';
import { Teardowns, call, startBenchControlPlane } from './control-plane.js';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${String(raw)}`);
  }
  return value;
}

const HOSTS = positiveInt('REXEC_BENCH_HOSTS', 200);
const CREATES = positiveInt('REXEC_BENCH_CREATES', 2000);
const USERS = positiveInt('REXEC_BENCH_USERS', 8);
const CONCURRENCY_PER_USER = positiveInt('REXEC_BENCH_CONCURRENCY', 8);
// Each host fits 40 of these by CPU, so 200 hosts hold 8000: capacity never refuses a create.
const RESOURCES = { cpu_millicores: 100, memory_mb: 64, disk_mb: 512 };
const HOST_CAPACITY = { cpu_millicores: 4_000, memory_mb: 8_192, disk_mb: 65_536 };
const ALL_RUNNING_LIMIT_MS = 120_000;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux clock ticks, 100/s). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) throw new Error('the control plane process has no pid');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * REXEC_BENCH_NODE_OPTIONS becomes the control plane's NODE_OPTIONS (the test helpers drop the
 * bench's own), e.g. `--import ./profiler.mjs` to profile it; `--cpu-prof` is refused there by node.
 */
function benchNodeOptions(): Record<string, string> {
  const options = process.env['REXEC_BENCH_NODE_OPTIONS'];
  return options === undefined || options === '' ? {} : { NODE_OPTIONS: options };
}

/**
 * With REXEC_BENCH_PROFILE_SIGNAL=1 the control plane gets SIGUSR2 just before the first create and
 * again after the last answer, for a profiler loaded through REXEC_BENCH_NODE_OPTIONS that toggles
 * on that signal: the profile then covers the create phase only, not enrollment. Off by default,
 * because without such a listener SIGUSR2 would end the process.
 */
function profileSignal(pid: number | undefined): void {
  if (process.env['REXEC_BENCH_PROFILE_SIGNAL'] !== '1') return;
  if (pid === undefined) throw new Error('the control plane process has no pid');
  process.kill(pid, 'SIGUSR2');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Enrolls and connects one simulated host that answers every command with success. */
async function simulatedHost(
  base: string,
  joinToken: string,
  hostName: string,
): Promise<AgentPeer> {
  const response = await fetch(`${base}${AGENT_ENROLL_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${joinToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ host_name: hostName, agent_version: '0.1.0', protocol_version: 1 }),
  });
  if (response.status !== 201) {
    throw new Error(`enroll of ${hostName} answered ${response.status}: ${await response.text()}`);
  }
  const { credential } = AgentEnrollResponse.parse(await response.json());
  const peer = await AgentPeer.connect(base, credential);
  const welcome = await peer.hello({ hostName, capacity: HOST_CAPACITY });
  peer.keepAlive(welcome.heartbeat_interval_ms);
  peer.ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const decoded = decodeControlMessage(Buffer.from(data as Buffer));
    if (!decoded.ok || decoded.value.type !== 'CONTROL_COMMAND') return;
    const command = decoded.value;
    peer.succeed(command, command.command.action === 'create' ? 'running' : 'exited');
  });
  // AgentPeer keeps every message for its scripted suites; here that would only grow.
  peer.ws.on('message', () => peer.received.splice(0));
  return peer;
}

interface HostCheck {
  hosts: number;
  hostsUsed: number;
  maxOnOneHost: number;
  overCapacity: number;
  reservedMismatch: number;
}

/** Reads every host's capacity and reserved columns and the live reservations placed on it. */
async function checkReservations(databaseUrl: string): Promise<HostCheck> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      over: boolean;
      mismatch: boolean;
      placed: string;
    }>(`
      select
        (h.reserved_cpu_millicores > h.capacity_cpu_millicores
          or h.reserved_memory_mb > h.capacity_memory_mb
          or h.reserved_disk_mb > h.capacity_disk_mb) as over,
        (h.reserved_cpu_millicores <> coalesce(sum(c.cpu_millicores), 0)
          or h.reserved_memory_mb <> coalesce(sum(c.memory_mb), 0)
          or h.reserved_disk_mb <> coalesce(sum(c.disk_mb), 0)) as mismatch,
        count(c.id) as placed
      from hosts h
      left join containers c on c.host_id = h.id and c.deleted_at is null
      group by h.id`);
    const placed = rows.map((row) => Number(row.placed));
    return {
      hosts: rows.length,
      hostsUsed: placed.filter((count) => count > 0).length,
      maxOnOneHost: Math.max(0, ...placed),
      overCapacity: rows.filter((row) => row.over).length,
      reservedMismatch: rows.filter((row) => row.mismatch).length,
    };
  } finally {
    await client.end();
  }
}

/** Committed transactions in the benchmark's database so far (Postgres statistics, ~0.5 s late). */
async function commits(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select xact_commit as n from pg_stat_database where datname = current_database()`,
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** A counter of running containers on its own connection; `cleanup` closes the connection. */
async function countRunning(
  databaseUrl: string,
  cleanup: Teardowns,
): Promise<() => Promise<number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  cleanup.teardown(() => client.end());
  return async () => {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from containers where status = 'running' and deleted_at is null`,
    );
    return Number(rows[0]?.n ?? 0);
  };
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const cp = await startBenchControlPlane(cleanup, benchNodeOptions());
    const base = cp.controlPlane.url;
    // The limiter still runs on every request; the budgets are lifted so it never caps the run.
    await cp.api(Tier, 'PATCH', '/tiers/enterprise', {
      max_containers: 100_000,
      rate_limits: {
        create_per_minute: 100_000,
        operations_per_minute: 100_000,
        list_per_minute: 100_000,
      },
    });

    const peers: AgentPeer[] = [];
    cleanup.teardown(async () => {
      await Promise.all(peers.map((peer) => peer.close(1000)));
    });
    const connectStart = performance.now();
    for (let i = 0; i < HOSTS; i += 20) {
      const batch = Array.from({ length: Math.min(20, HOSTS - i) }, async (_, j) => {
        const join = await cp.api(JoinTokenCreated, 'POST', '/hosts/join-tokens', {});
        const name = `sim-${String(i + j).padStart(4, '0')}`;
        peers.push(await simulatedHost(base, join.token, name));
      });
      await Promise.all(batch);
    }
    const connectMs = performance.now() - connectStart;

    const tokens: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const created = await cp.api(UserCreated, 'POST', '/users', {
        name: `bench-user-${u}`,
        tier: 'enterprise',
      });
      tokens.push(created.token);
    }

    const running = await countRunning(cp.databaseUrl, cleanup);
    const statuses = new Map<number, number>();
    let next = 0;
    let last202 = 0;
    const pid = cp.controlPlane.process.pid;
    const cpuBefore = await cpuSeconds(pid);
    const commitsBefore = await commits(cp.databaseUrl);
    const load = loadavg()[0] ?? 0;
    profileSignal(pid);
    const start = performance.now();
    const worker = async (token: string) => {
      for (;;) {
        const index = next++;
        if (index >= CREATES) return;
        const answer = await call(base, token, 'POST', '/containers', {
          image: 'custom',
          custom_image: 'localhost/rexec-test/busybox:latest',
          resources: RESOURCES,
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 202) last202 = performance.now();
      }
    };
    await Promise.all(
      tokens.flatMap((token) => Array.from({ length: CONCURRENCY_PER_USER }, () => worker(token))),
    );
    const cpuUsed = (await cpuSeconds(pid)) - cpuBefore;
    profileSignal(pid);
    const accepted = statuses.get(202) ?? 0;
    let allRunningMs: number | undefined;
    // The wait is bounded from the last answer, so a slow create phase does not eat it.
    const answered = performance.now();
    for (;;) {
      if ((await running()) >= accepted) {
        allRunningMs = performance.now() - start;
        break;
      }
      if (performance.now() - answered > ALL_RUNNING_LIMIT_MS) break;
      await sleep(20);
    }
    const check = await checkReservations(cp.databaseUrl);
    // The statistics collector flushes about every 500 ms.
    await sleep(1_000);
    const commitsUsed = (await commits(cp.databaseUrl)) - commitsBefore;

    const line = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
    console.log(
      `placement: ${HOSTS} simulated hosts, ${CREATES} creates from ${USERS} users × ` +
        `${CONCURRENCY_PER_USER} in flight, real Postgres (1-min load average ${load.toFixed(1)})`,
    );
    line('hosts enrolled and connected', `${(connectMs / 1000).toFixed(1)} s`);
    line(
      'answers',
      [...statuses.entries()].map(([status, count]) => `${status}: ${count}`).join(', '),
    );
    const acceptMs = last202 - start;
    line(
      'placements/s (202s)',
      `${((1000 * accepted) / acceptMs).toFixed(0)} (${accepted} in ${acceptMs.toFixed(0)} ms; target ≥ 500)`,
    );
    const cpuMs = (1000 * cpuUsed) / Math.max(1, accepted);
    line(
      'control plane CPU/placement',
      `${cpuMs.toFixed(1)} ms (one core's worth: ${(1000 / cpuMs).toFixed(0)} placements/s)`,
    );
    line(
      'Postgres commits/placement',
      `${(commitsUsed / Math.max(1, accepted)).toFixed(1)} (heartbeats and polls included)`,
    );
    line(
      'all running after',
      allRunningMs === undefined
        ? `not within ${ALL_RUNNING_LIMIT_MS} ms of the last answer (${await running()} of ${accepted})`
        : `${allRunningMs.toFixed(0)} ms`,
    );
    line(
      'hosts used',
      `${check.hostsUsed} of ${check.hosts}, at most ${check.maxOnOneHost} on one`,
    );
    line('hosts reserved > capacity', String(check.overCapacity));
    line('hosts reserved ≠ Σ containers', String(check.reservedMismatch));
  } finally {
    await cleanup.run();
  }
}

await main();
