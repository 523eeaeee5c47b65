// Benchmark: create→running latency through Rexec (REST create of a custom busybox image on a real
// control plane on Postgres with one real podman agent) next to a bare `podman run -d` of the same
// image with the very argv the agent builds (run-args.ts), alternating, one container at a time,
// each removed after it is measured (the agent keeps the user's network and a pool of home volumes
// between creates, as it does in use). Rexec is timed from sending the POST until the
// `container.running` events row (what any GET then sees; its own timestamp, so no poll interval
// blurs it). The wait for that row polls Postgres (REXEC_BENCH_WAIT=db, the default: one indexed
// select every POLL_MS); REXEC_BENCH_WAIT=rest polls `GET /containers/:id` instead, as a client
// would, and also prints when a GET first saw `running` — on 2 cores those GETs take CPU from the
// very `run` being measured (about 5 ms of control plane each), so that figure is the client's
// view, not Rexec's latency. Prints p50/p95 of each and the ratios; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/create-latency.ts
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import pg from 'pg';
import { Container, HostList, Tier, UserCreated } from '@rexec/protocol';
import { SANDBOX_COMMAND } from '../packages/agent/src/command-actions.js';
import { buildRunArgs } from '../packages/agent/src/runtime/run-args.js';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import { Teardowns, call, percentile, startBenchControlPlane } from './control-plane.js';

const SAMPLES = Number(process.env['REXEC_BENCH_SAMPLES'] ?? 12);
const POLL_MS = Number(process.env['REXEC_BENCH_POLL_MS'] ?? 20);
const WAIT = process.env['REXEC_BENCH_WAIT'] ?? 'db';
const WAIT_LIMIT_MS = 60_000;
const BENCH_HOST_ID = 'hst_benchraw';
// An isolated network like an agent's per-user one, on a subnet no test pool uses.
const RAW_USER_NETWORK = 'rexec-bench-usernet';
const RAW_USER_SUBNET = '10.218.0.0/24';
// Small enough to fit a 2-core host many times over, so placement never refuses a sample.
const RESOURCES = { cpu_millicores: 500, memory_mb: 128, disk_mb: 1024 };

if (!Number.isInteger(SAMPLES) || SAMPLES < 1) {
  throw new Error(`REXEC_BENCH_SAMPLES must be a positive integer, got ${String(SAMPLES)}`);
}
if (WAIT !== 'db' && WAIT !== 'rest') {
  throw new Error(`REXEC_BENCH_WAIT must be db or rest, got ${WAIT}`);
}
if (!Number.isFinite(POLL_MS) || POLL_MS < 1) {
  throw new Error(`REXEC_BENCH_POLL_MS must be a positive number, got ${String(POLL_MS)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function podman(args: string[]): Promise<string> {
  return (await execa('podman', args, { timeout: 120_000 })).stdout;
}

interface RexecSample {
  /** POST sent → the GET that saw `running` returned (REXEC_BENCH_WAIT=rest only). */
  seenMs: number | null;
  /** POST sent → the `container.running` events row. */
  recordedMs: number;
  /** POST sent → its 202. */
  acceptedMs: number;
  container: Container;
}

async function main(): Promise<void> {
  await podman(['image', 'inspect', BUSYBOX_IMAGE]).catch(() => {
    throw new Error(`${BUSYBOX_IMAGE} is missing: build it with bash test/images/build.sh`);
  });
  const cleanup = new Teardowns();
  const rawNames = new Set<string>();
  cleanup.teardown(async () => {
    for (const name of rawNames) {
      await podman(['rm', '-f', '-v', name]).catch(() => undefined);
      await podman(['volume', 'rm', '-f', name.replace(/^rexec-/, 'rexec-home-')]).catch(
        () => undefined,
      );
    }
  });
  try {
    const cp = await startBenchControlPlane(cleanup);
    await cp.joinAgent('bench-latency', { REXEC_RUNTIME: 'podman' });
    const { hosts } = await cp.api(HostList, 'GET', '/hosts');
    const hostId = hosts.find((host) => host.name === 'bench-latency')?.id;
    if (hostId === undefined) throw new Error('the agent connected but its host is not listed');
    // Whatever the agent left in the engine goes with it (agents leave containers by design):
    // containers, home volumes (the pool too), the user network and the host guard.
    cleanup.teardown(() => removeTestHost('podman', hostId));
    // Polling every POLL_MS is far above a tier's operations budget; the limiter still runs.
    await cp.api(Tier, 'PATCH', '/tiers/enterprise', {
      rate_limits: {
        create_per_minute: 100_000,
        operations_per_minute: 100_000,
        list_per_minute: 100_000,
      },
    });
    const { token } = await cp.api(UserCreated, 'POST', '/users', {
      name: 'bench-latency',
      tier: 'enterprise',
    });
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    cleanup.teardown(() => db.end());
    // The transition's own timestamp (Postgres now(), the same clock as Date.now() here).
    const recordedAt = async (id: string): Promise<number> => {
      const { rows } = await db.query<{ at: Date }>(
        `select at from events where container_id = $1 and type = 'container.running'
         order by id limit 1`,
        [id],
      );
      const at = rows[0]?.at;
      if (at === undefined) throw new Error(`container ${id} runs but has no running event`);
      return at.getTime();
    };

    const statusInDb = async (id: string): Promise<string> => {
      const { rows } = await db.query<{ status: string }>(
        'select status from containers where id = $1',
        [id],
      );
      const status = rows[0]?.status;
      if (status === undefined) throw new Error(`container ${id} is not in the database`);
      return status;
    };
    const statusByRest = async (id: string): Promise<string> => {
      const got = await call(cp.controlPlane.url, token, 'GET', `/containers/${id}`);
      if (got.status !== 200) {
        throw new Error(`GET ${id} answered ${got.status}: ${JSON.stringify(got.body)}`);
      }
      return Container.parse(got.body).status;
    };

    const rexecOnce = async (): Promise<RexecSample> => {
      const postedAt = Date.now();
      const start = performance.now();
      const created = await call(cp.controlPlane.url, token, 'POST', '/containers', {
        image: 'custom',
        custom_image: BUSYBOX_IMAGE,
        resources: RESOURCES,
      });
      const acceptedMs = performance.now() - start;
      if (created.status !== 202) {
        throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      }
      const { id } = Container.parse(created.body);
      const deadline = start + WAIT_LIMIT_MS;
      let seenMs: number | null = null;
      for (let poll = 1; ; poll++) {
        const status = WAIT === 'rest' ? await statusByRest(id) : await statusInDb(id);
        const now = performance.now();
        if (status === 'running') {
          if (WAIT === 'rest') seenMs = now - start;
          break;
        }
        if (status !== 'creating') throw new Error(`container ${id} went ${status}`);
        if (now > deadline) throw new Error(`container ${id} never ran`);
        // A fixed cadence from the 202: a slow poll does not push every later one back.
        await sleep(Math.max(0, start + acceptedMs + poll * POLL_MS - now));
      }
      const recordedMs = (await recordedAt(id)) - postedAt;
      // The API must agree; this GET is not timed.
      const got = await call(cp.controlPlane.url, token, 'GET', `/containers/${id}`);
      const container = Container.parse(got.body);
      if (container.status !== 'running') {
        throw new Error(`the events say ${id} runs, the API says ${container.status}`);
      }
      return { seenMs, recordedMs, acceptedMs, container };
    };
    const rexecRemove = async (id: string): Promise<void> => {
      const removed = await call(cp.controlPlane.url, token, 'DELETE', `/containers/${id}`);
      if (removed.status !== 204 && removed.status !== 202) {
        throw new Error(`delete answered ${removed.status}: ${JSON.stringify(removed.body)}`);
      }
      // Waits until the engine no longer has it, so removal never overlaps the next sample.
      const deadline = performance.now() + WAIT_LIMIT_MS;
      while ((await podman(['ps', '-aq', '--filter', `name=rexec-${id}`])) !== '') {
        if (performance.now() > deadline) throw new Error(`container ${id} was never removed`);
        await sleep(POLL_MS);
      }
    };

    // The first create pays for cold caches on both paths; it is measured by neither.
    const warm = await rexecOnce();
    await rexecRemove(warm.container.id);
    const resources = warm.container.resources;
    let rawCount = 0;
    await podman(['network', 'rm', '-f', RAW_USER_NETWORK]).catch(() => undefined);
    await podman([
      'network',
      'create',
      '--opt',
      'isolate=true',
      '--subnet',
      RAW_USER_SUBNET,
      RAW_USER_NETWORK,
    ]);
    cleanup.teardown(() => podman(['network', 'rm', '-f', RAW_USER_NETWORK]));
    /**
     * `podman run -d` with the argv the agent builds on the default network, or (`userNetwork`)
     * on an isolated network like the user's one the agent attaches every container to. The gap
     * between that and the Rexec figure is what the control plane, the protocol, shaping and the
     * status poll add.
     */
    const rawOnce = async (userNetwork: boolean): Promise<number> => {
      const containerId = `ctr_benchraw${(rawCount++).toString().padStart(4, '0')}`;
      const spec = {
        containerId,
        userId: 'usr_benchraw',
        image: BUSYBOX_IMAGE,
        cpuMillicores: resources.cpu_millicores,
        memoryMb: resources.memory_mb,
        pidsLimit: 512,
        env: {},
        homeDir: '/root',
        command: [...SANDBOX_COMMAND],
        ...(userNetwork ? { network: RAW_USER_NETWORK } : {}),
      };
      const name = `rexec-${containerId}`;
      rawNames.add(name);
      const start = performance.now();
      await podman(buildRunArgs(spec, BENCH_HOST_ID));
      return performance.now() - start;
    };
    const rawRemove = async (): Promise<void> => {
      for (const name of rawNames) {
        await podman(['rm', '-f', '-v', name]);
        await podman(['volume', 'rm', '-f', name.replace(/^rexec-/, 'rexec-home-')]);
      }
      rawNames.clear();
    };
    await rawOnce(false);
    await rawRemove();

    const rexecMs: number[] = [];
    const recordedMs: number[] = [];
    const acceptedMs: number[] = [];
    const rawMs: number[] = [];
    const userNetworkMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const sample = await rexecOnce();
      if (sample.seenMs !== null) rexecMs.push(sample.seenMs);
      recordedMs.push(sample.recordedMs);
      acceptedMs.push(sample.acceptedMs);
      await rexecRemove(sample.container.id);
      rawMs.push(await rawOnce(false));
      await rawRemove();
      userNetworkMs.push(await rawOnce(true));
      await rawRemove();
    }

    const line = (label: string, values: number[]) => {
      const p50 = percentile(values, 50);
      const p95 = percentile(values, 95);
      const text = `p50 ${p50.toFixed(0).padStart(5)} ms   p95 ${p95.toFixed(0).padStart(5)} ms`;
      console.log(`  ${label.padEnd(34)} ${text}`);
    };
    console.log(
      `create→running, ${SAMPLES} samples each, sequential ` +
        `(cpu ${resources.cpu_millicores}m, memory ${resources.memory_mb} MB; ` +
        `1-min load average ${(loadavg()[0] ?? 0).toFixed(1)})`,
    );
    const waited =
      WAIT === 'rest'
        ? `GETs every ${POLL_MS} ms from its 202`
        : `waiting on Postgres every ${POLL_MS} ms (REXEC_BENCH_WAIT=rest polls the API)`;
    console.log(`  Rexec: from sending the POST, ${waited}. podman: the command, until it exits.`);
    if (WAIT === 'rest') line('Rexec create → a GET sees running', rexecMs);
    line('Rexec create → running recorded', recordedMs);
    line('  of which POST → 202', acceptedMs);
    line('podman run -d (same argv)', rawMs);
    line('  the same on an isolated network', userNetworkMs);
    const ratio = (label: string, values: number[]) => {
      const at50 = percentile(values, 50) / percentile(rawMs, 50);
      const at95 = percentile(values, 95) / percentile(rawMs, 95);
      console.log(
        `  ${label.padEnd(34)} p50 ${at50.toFixed(2)}×       p95 ${at95.toFixed(2)}×   ` +
          `(overhead at p50 ${(100 * (at50 - 1)).toFixed(0)}%; target: under 25%)`,
      );
    };
    if (WAIT === 'rest') ratio('ratio GET sees / podman', rexecMs);
    ratio('ratio recorded / podman', recordedMs);
    const networkShare = percentile(userNetworkMs, 50) - percentile(rawMs, 50);
    const restShare = percentile(recordedMs, 50) - percentile(userNetworkMs, 50);
    const pollShare =
      WAIT === 'rest'
        ? `, poll ${(percentile(rexecMs, 50) - percentile(recordedMs, 50)).toFixed(0)} ms`
        : '';
    console.log(
      `  ${'at p50, Rexec adds'.padEnd(34)} isolated network ${networkShare.toFixed(0)} ms, ` +
        `REST + DB + protocol + shaping ${restShare.toFixed(0)} ms${pollShare}`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
