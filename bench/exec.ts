// Benchmark: latency of running `true` through Rexec (`POST /containers/:id/exec` → control plane →
// agent socket → `podman exec`) next to `podman exec` of the same container run directly with
// execa, as the agent does. One busybox container on a real control plane on Postgres with one
// real podman agent; the two paths alternate sample by sample so load on the host hits both alike,
// after a few warm-up runs of each. Prints p50/p95 of each and their ratios; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/exec.ts
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { Container, ExecResult, HostList, Tier } from '@rexec/protocol';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import { Teardowns, call, percentile, startBenchControlPlane } from './control-plane.js';

const SAMPLES = Number(process.env['REXEC_BENCH_SAMPLES'] ?? 40);
const WARM_UP = 3;
const RESOURCES = { cpu_millicores: 500, memory_mb: 128, disk_mb: 1024 };

if (!Number.isInteger(SAMPLES) || SAMPLES < 1) {
  throw new Error(`REXEC_BENCH_SAMPLES must be a positive integer, got ${String(SAMPLES)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function line(label: string, samples: readonly number[]): string {
  const p50 = percentile(samples, 50).toFixed(1);
  const p95 = percentile(samples, 95).toFixed(1);
  return `${label.padEnd(30)} p50 ${p50.padStart(7)} ms   p95 ${p95.padStart(7)} ms`;
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const cp = await startBenchControlPlane(cleanup);
    await cp.joinAgent('bench-exec', { REXEC_RUNTIME: 'podman' });
    const { hosts } = await cp.api(HostList, 'GET', '/hosts');
    const hostId = hosts.find((host) => host.name === 'bench-exec')?.id;
    if (hostId === undefined) throw new Error('the agent connected but its host is not listed');
    cleanup.teardown(() => removeTestHost('podman', hostId));
    // Every exec draws from the operations budget; the limiter still runs, with room.
    await cp.api(Tier, 'PATCH', '/tiers/enterprise', {
      rate_limits: { operations_per_minute: 100_000 },
    });
    const created = await cp.api(Container, 'POST', '/containers', {
      image: 'custom',
      custom_image: BUSYBOX_IMAGE,
      resources: RESOURCES,
    });
    for (let i = 0; ; i++) {
      const got = await cp.api(Container, 'GET', `/containers/${created.id}`);
      if (got.status === 'running') break;
      if (got.status !== 'creating' || i > 600) throw new Error(`container went ${got.status}`);
      await sleep(100);
    }
    const name = `rexec-${created.id}`;
    const { url, adminToken } = cp.controlPlane;

    const viaRexec = async (): Promise<number> => {
      const start = performance.now();
      const answer = await call(url, adminToken, 'POST', `/containers/${created.id}/exec`, {
        argv: ['true'],
      });
      const elapsed = performance.now() - start;
      if (answer.status !== 200 || ExecResult.parse(answer.body).exit_code !== 0) {
        throw new Error(`exec answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return elapsed;
    };
    const direct = async (): Promise<number> => {
      const start = performance.now();
      await execa('podman', ['exec', name, 'true']);
      return performance.now() - start;
    };

    for (let i = 0; i < WARM_UP; i++) {
      await viaRexec();
      await direct();
    }
    const rexec: number[] = [];
    const podman: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      rexec.push(await viaRexec());
      podman.push(await direct());
    }

    console.log(`exec benchmark: ${SAMPLES} runs of \`true\` each, busybox, podman`);
    console.log(line('rexec (REST → cp → agent)', rexec));
    console.log(line('podman exec (execa)', podman));
    const ratio = (p: number) => (percentile(rexec, p) / percentile(podman, p)).toFixed(2);
    console.log(`ratio rexec / podman: p50 ${ratio(50)}×, p95 ${ratio(95)}×`);
  } finally {
    await cleanup.run();
  }
}

await main();
