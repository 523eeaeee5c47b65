// Benchmark: placement throughput. N simulated agents (real `ws` sockets speaking PROTOCOL.md via
// test/control-plane/hub/agent-peer.ts: enrollment with a join token, HELLO/WELCOME, heartbeats,
// every create answered with an ok result and a running container) against a real control plane
// process on a throwaway Postgres; users then fire creates over REST concurrently, first a warm-up
// round, then the measured one. Prints placements/s (202s per second), the CPU each party spent
// per placement (control plane, all of Postgres's processes, this process, and the rest of the
// machine), the time until all are `running`, and a check straight from Postgres that no host is
// over-reserved. REXEC_BENCH_REPLICAS=2 runs two control planes on the database, hosts and creates
// split between them, and prints how many creates crossed the command relay (each replica offers
// the hosts it holds first, so few do). Asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/placement.ts
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  JoinTokenCreated,
  Tier,
  TierList,
  UserCreated,
} from '@rexec/protocol';
import { AgentPeer, okResult } from '../test/control-plane/hub/agent-peer.js';
import { Teardowns, startBenchControlPlane, type BenchControlPlane } from './control-plane.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { checkReservations, counters, countRunning } from './placement-checks.js';
import { createClient, postCreate, type CreateClient } from './create-client.js';
import {
  postmasterPid,
  processCpuMs,
  processMemoryMb,
  sampleCpu,
  type CpuSample,
} from './process-cpu.js';
import { startControlPlane } from '../test/helpers/processes.js';

function flag(name: string): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`${name} must be 0 or 1, got ${raw}`);
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${String(raw)}`);
  }
  return value;
}

function nonNegativeInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === '0') return 0;
  return raw === undefined || raw === '' ? fallback : positiveInt(name, fallback);
}

const HOSTS = positiveInt('REXEC_BENCH_HOSTS', 200);
const CREATES = positiveInt('REXEC_BENCH_CREATES', 2000);
/**
 * Creates fired and waited for before the measured ones (REXEC_BENCH_WARMUP=0 for none). A control
 * plane runs for weeks; one just started spends a quarter of its CPU in its first seconds of load
 * compiling hot code (perf on its threads: V8's optimising compiler 23% early in a run, 2% later).
 * The warm-up's containers stay, so the measured creates land on a fleet already in use.
 */
const WARMUP = nonNegativeInt('REXEC_BENCH_WARMUP', 2000);
/**
 * By default as many users as measured creates, each making one create to warm up and one
 * measured, as 500 creates a second would come from many users on a real fleet under the tiers'
 * limits (one user may create 10 a minute and hold 25 on enterprise): no limit has to be lifted.
 * Fewer users (REXEC_BENCH_USERS=8 is the old stress case) concentrate the creates; the tier's
 * limits are then raised just enough, and the run says so.
 */
const USERS = positiveInt('REXEC_BENCH_USERS', CREATES);
/**
 * Control plane processes on the one database (REXEC_BENCH_REPLICAS, default 1). With more, the
 * simulated hosts connect to them in turn and creates are sent to them in turn; a create placed
 * on a host another replica holds goes through the command relay.
 */
const REPLICAS = positiveInt('REXEC_BENCH_REPLICAS', 1);
/** Creates in flight at once; request i comes from user i mod USERS. */
const IN_FLIGHT = positiveInt('REXEC_BENCH_IN_FLIGHT', 64);
const TIER = 'enterprise';
/** REXEC_BENCH_PG_SOCKET=1: the control plane talks to Postgres over its Unix socket, not TCP. */
const PG_SOCKET = flag('REXEC_BENCH_PG_SOCKET');
// Each host fits 128 of these by memory (CPU, overcommitted 4×, would take 160), so 200 hosts hold
// 25 600: capacity never refuses a create.
const RESOURCES = { cpu_millicores: 100, memory_mb: 64, disk_mb: 512 };
const HOST_CAPACITY = { cpu_millicores: 4_000, memory_mb: 8_192, disk_mb: 65_536 };
const ALL_RUNNING_LIMIT_MS = 120_000;

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
  peer.handOver(
    (message) => {
      if (message.type !== 'CONTROL_COMMAND') return;
      const state = message.command.action === 'create' ? 'running' : 'exited';
      // Read and written without the agent-side schema checks: the control plane checks what it
      // receives, and a simulated agent's own checking is load on the machine the control plane
      // runs on (a real agent's runs on its own host).
      peer.ws.send(JSON.stringify(okResult(message, state)));
    },
    { trust: true },
  );
  return peer;
}

interface Phase {
  statuses: Map<number, number>;
  accepted: number;
  /** From the first request to the last 202. */
  acceptMs: number;
  /** From the first request until every accepted container ran; undefined if that timed out. */
  allRunningMs: number | undefined;
  firstRefusal: string | undefined;
}

/**
 * Leaves the tier as shipped when each user's share of the creates fits its container count and
 * create budget; otherwise raises just those two (the limiter and the quota still run on every
 * create). Returns what was raised, for the printout.
 */
async function fitTier(cp: BenchControlPlane): Promise<string[]> {
  const share = Math.ceil((WARMUP + CREATES) / USERS);
  const { tiers } = await cp.api(TierList, 'GET', '/tiers');
  const tier = tiers.find((candidate) => candidate.name === TIER);
  if (tier === undefined) throw new Error(`no tier named ${TIER}`);
  const lifted: string[] = [];
  const patch: { max_containers?: number; rate_limits?: { create_per_minute: number } } = {};
  if (share > tier.max_containers) {
    patch.max_containers = share;
    lifted.push(`max_containers ${tier.max_containers} → ${share}`);
  }
  if (share > tier.rate_limits.create_per_minute) {
    patch.rate_limits = { create_per_minute: share };
    lifted.push(`create_per_minute ${tier.rate_limits.create_per_minute} → ${share}`);
  }
  if (lifted.length > 0) await cp.api(Tier, 'PATCH', `/tiers/${TIER}`, patch);
  return lifted;
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const cp = await startBenchControlPlane(cleanup, benchNodeOptions(), {
      unixSocket: PG_SOCKET,
      built: true,
    });
    const others = [];
    for (let r = 1; r < REPLICAS; r++) {
      others.push(
        await startControlPlane(cleanup.asTest(), {
          built: true,
          env: {
            REXEC_DATABASE_URL: cp.databaseUrl,
            REXEC_BOOTSTRAP_ADMIN_TOKEN: cp.controlPlane.adminToken,
            ...benchNodeOptions(),
          },
        }),
      );
    }
    const bases = [cp.controlPlane.url, ...others.map((other) => other.url)];
    const lifted = await fitTier(cp);
    const peers: AgentPeer[] = [];
    cleanup.teardown(async () => {
      await Promise.all(peers.map((peer) => peer.close(1000)));
    });
    const connectStart = performance.now();
    for (let i = 0; i < HOSTS; i += 20) {
      const batch = Array.from({ length: Math.min(20, HOSTS - i) }, async (_, j) => {
        const join = await cp.api(JoinTokenCreated, 'POST', '/hosts/join-tokens', {});
        const name = `sim-${String(i + j).padStart(4, '0')}`;
        const base = bases[(i + j) % bases.length] ?? cp.controlPlane.url;
        peers.push(await simulatedHost(base, join.token, name));
      });
      await Promise.all(batch);
    }
    const connectMs = performance.now() - connectStart;

    const usersStart = performance.now();
    const tokens: string[] = [];
    for (let u = 0; u < USERS; u += 20) {
      const batch = Array.from({ length: Math.min(20, USERS - u) }, async (_, j) => {
        const created = await cp.api(UserCreated, 'POST', '/users', {
          name: `bench-user-${u + j}`,
          tier: TIER,
        });
        return created.token;
      });
      tokens.push(...(await Promise.all(batch)));
    }
    const usersMs = performance.now() - usersStart;

    const running = await countRunning(cp.databaseUrl, cleanup);
    const clients = bases.map((base) =>
      createClient(base, Math.ceil(IN_FLIGHT / bases.length), RESOURCES),
    );
    cleanup.teardown(() => {
      for (const client of clients) client.agent.destroy();
    });
    let sent = 0;
    let runningBefore = 0;
    /** Fires `count` creates, IN_FLIGHT at a time, and waits until the accepted ones run. */
    const phase = async (count: number): Promise<Phase> => {
      const statuses = new Map<number, number>();
      let next = 0;
      let last202 = 0;
      let firstRefusal: string | undefined;
      const start = performance.now();
      const worker = async () => {
        for (;;) {
          if (next >= count) return;
          next++;
          const index = sent++;
          const client = clients[index % clients.length] as CreateClient;
          const answer = await postCreate(client, tokens[index % USERS] ?? '');
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 202) last202 = performance.now();
          else firstRefusal ??= `${answer.status} ${answer.body}`;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      const answered = performance.now();
      const accepted = statuses.get(202) ?? 0;
      let allRunningMs: number | undefined;
      // The wait is bounded from the last answer, so a slow create phase does not eat it.
      for (;;) {
        const now = await running();
        if (now >= runningBefore + accepted) {
          allRunningMs = performance.now() - start;
          runningBefore = now;
          break;
        }
        if (performance.now() - answered > ALL_RUNNING_LIMIT_MS) break;
        await sleep(20);
      }
      return { statuses, accepted, acceptMs: last202 - start, allRunningMs, firstRefusal };
    };

    const warmup = WARMUP > 0 ? await phase(WARMUP) : undefined;
    const pid = cp.controlPlane.process.pid;
    if (pid === undefined) throw new Error('the control plane process has no pid');
    const postmaster = await postmasterPid(cp.pgData);
    const otherPids = others.map((other) => other.process.pid ?? 0);
    const othersCpu = async () => {
      let total = 0;
      for (const otherPid of otherPids) total += await processCpuMs(otherPid);
      return total;
    };
    const othersBefore = await othersCpu();
    const cpuBefore = await sampleCpu(pid, postmaster);
    const before = await counters(cp.databaseUrl);
    const load = loadavg()[0] ?? 0;
    profileSignal(pid);
    const measured = await phase(CREATES);
    profileSignal(pid);
    const { statuses, accepted, firstRefusal, allRunningMs, acceptMs } = measured;
    // Up to every container running: the results and moves to `running` are part of a placement.
    const cpuAfter = await sampleCpu(pid, postmaster);
    const othersAfter = await othersCpu();
    const check = await checkReservations(cp.databaseUrl, DEFAULT_CPU_OVERCOMMIT);
    // The statistics collector flushes about every 500 ms.
    await sleep(1_000);
    const after = await counters(cp.databaseUrl);
    const commitsUsed = after.commits - before.commits;

    const cores = availableParallelism();
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
    console.log(
      `placement: ${HOSTS} simulated hosts, ${CREATES} creates after ${WARMUP} to warm up, from ` +
        `${USERS} ${TIER} users, ` +
        `${IN_FLIGHT} in flight, ${REPLICAS} control plane ${REPLICAS === 1 ? 'process' : 'replicas'}, ` +
        `real Postgres over ${PG_SOCKET ? 'its Unix socket' : 'TCP'} ` +
        `(1-min load average ${load.toFixed(1)})`,
    );
    line('tier limits', lifted.length === 0 ? 'as shipped' : `raised: ${lifted.join(', ')}`);
    line('hosts enrolled and connected', `${(connectMs / 1000).toFixed(1)} s`);
    line('users created', `${(usersMs / 1000).toFixed(1)} s`);
    line(
      'answers',
      [...statuses.entries()].map(([status, count]) => `${status}: ${count}`).join(', '),
    );
    if (firstRefusal !== undefined) line('first refusal', firstRefusal.slice(0, 300));
    const rate = (run: Phase) => (1000 * run.accepted) / run.acceptMs;
    if (warmup !== undefined) {
      line(
        'warm-up (not measured)',
        `${warmup.accepted} of ${WARMUP} accepted at ${rate(warmup).toFixed(0)}/s on a just-started ` +
          `control plane` +
          (warmup.firstRefusal === undefined ? '' : `; first refusal ${warmup.firstRefusal}`),
      );
    }
    line(
      'placements/s (202s)',
      `${rate(measured).toFixed(0)} (${accepted} in ${acceptMs.toFixed(0)} ms; target ≥ 500)`,
    );
    const perPlacement = (party: keyof CpuSample) =>
      (cpuAfter[party] - cpuBefore[party]) / Math.max(1, accepted) +
      (party === 'controlPlane' ? (othersAfter - othersBefore) / Math.max(1, accepted) : 0);
    const cpuMs = perPlacement('controlPlane');
    line(
      'control plane CPU/placement',
      `${cpuMs.toFixed(2)} ms` +
        (REPLICAS === 1
          ? ` (one core's worth: ${(1000 / cpuMs).toFixed(0)} placements/s)`
          : `, all ${REPLICAS} replicas together`),
    );
    line('Postgres CPU/placement', `${perPlacement('postgres').toFixed(2)} ms (all its processes)`);
    line(
      'bench CPU/placement',
      `${perPlacement('bench').toFixed(2)} ms (load generator and ${HOSTS} simulated agents)`,
    );
    const ours = perPlacement('controlPlane') + perPlacement('postgres') + perPlacement('bench');
    const machine = perPlacement('machine');
    line(
      'machine CPU/placement',
      `${machine.toFixed(2)} ms, of which others ${(machine - ours).toFixed(2)} ms ` +
        `(${cores} cores' worth: ${((cores * 1000) / ours).toFixed(0)} placements/s for these three)`,
    );
    line(
      'Postgres commits/placement',
      `${(commitsUsed / Math.max(1, accepted)).toFixed(1)} (heartbeats and polls included)`,
    );
    if (REPLICAS > 1) {
      line('relayed through Postgres', `${after.relayed - before.relayed} commands of ${accepted}`);
    }
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
    for (const [r, replicaPid] of [pid, ...otherPids].entries()) {
      const memory = await processMemoryMb(replicaPid);
      line(
        REPLICAS === 1 ? 'control plane RSS after' : `replica ${r + 1} RSS after`,
        `${memory.rss.toFixed(0)} MB, peak ${memory.peak.toFixed(0)} MB (target ≤ 200 MB)`,
      );
    }
    line('hosts reserved > capacity', String(check.overCapacity));
    line('hosts reserved ≠ Σ containers', String(check.reservedMismatch));
  } finally {
    await cleanup.run();
  }
}

await main();
