// Benchmark: resident memory of an idle Rexec as `npm start` runs it (the built dist/ JavaScript,
// no tsx): the control plane on the embedded database (PGlite) REXEC_BENCH_IDLE_S seconds after
// its first start, and one podman agent joined to it and idle as long. Prints each process's RSS
// now and its peak (VmHWM), beside a bare `node` idling for the floor every Node process pays.
// Needs `npx tsc -b` first (the test command runs it). Asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/memory.ts
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { HostList, JoinTokenCreated } from '@rexec/protocol';
import { removeTestHost } from '../test/helpers/engine.js';
import { startAgent, startControlPlane } from '../test/helpers/processes.js';
import { call, Teardowns } from './control-plane.js';
import { processMemoryMb } from './process-cpu.js';

const IDLE_S = Number(process.env['REXEC_BENCH_IDLE_S'] ?? 20);
if (!Number.isInteger(IDLE_S) || IDLE_S < 1) {
  throw new Error(`REXEC_BENCH_IDLE_S must be a positive integer, got ${String(IDLE_S)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    cleanup.teardown(async () => {
      floor.kill();
      if (floor.exitCode === null) await once(floor, 'exit');
    });
    const t = cleanup.asTest();
    const controlPlane = await startControlPlane(t, { built: true });
    const join = await call(
      controlPlane.url,
      controlPlane.adminToken,
      'POST',
      '/hosts/join-tokens',
      {},
    );
    if (join.status !== 201) throw new Error(`join token: ${join.status}`);
    const agent = await startAgent(t, {
      url: controlPlane.url,
      joinToken: JoinTokenCreated.parse(join.body).token,
      hostName: 'bench-memory',
      env: { REXEC_RUNTIME: 'podman' },
      built: true,
    });
    const listed = await call(controlPlane.url, controlPlane.adminToken, 'GET', '/hosts');
    const hostId = HostList.parse(listed.body).hosts.find((h) => h.name === 'bench-memory')?.id;
    // The network, volume and iptables guard the agent set up for its host.
    if (hostId !== undefined) cleanup.teardown(() => removeTestHost('podman', hostId));
    await sleep(IDLE_S * 1000);

    const line = (label: string, memory: { rss: number; peak: number }, target: string) =>
      console.log(
        `  ${label.padEnd(44)} RSS ${memory.rss.toFixed(0).padStart(4)} MB   peak ${memory.peak
          .toFixed(0)
          .padStart(4)} MB   ${target}`,
      );
    console.log(`memory: built JavaScript as npm start runs it, after ${IDLE_S} s idle`);
    line(
      'control plane on PGlite (first start)',
      await processMemoryMb(controlPlane.process.pid),
      'target ≤ 250 MB',
    );
    line('agent (podman), idle', await processMemoryMb(agent.process.pid), 'target ≤ 80 MB');
    line('bare node idling (the floor)', await processMemoryMb(floor.pid), '');
  } finally {
    await cleanup.run();
  }
}

await main();
