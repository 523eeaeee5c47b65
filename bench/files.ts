// Benchmark: upload and download of one large file (200 MB by default) through Rexec
// (`PUT`/`GET /containers/:id/files` → control plane → agent socket → `podman cp`) next to
// `podman cp` of the same container run directly (file to file, and through a pipe as the agent
// runs it), with the control plane's and the agent's peak RSS (VmHWM) read after a small transfer
// and again after the large one, so growth with the file size shows. The client is curl. One busybox container on a real control plane on Postgres with one real podman
// agent. Prints MB/s of each path and their ratios; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/files.ts  (REXEC_BENCH_FILE_MB=200)
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { Container, HostList, Tier } from '@rexec/protocol';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import { Teardowns, startBenchControlPlane } from './control-plane.js';

const FILE_MB = Number(process.env['REXEC_BENCH_FILE_MB'] ?? 200);
const SMALL_MB = 20;
const ROUNDS = Number(process.env['REXEC_BENCH_ROUNDS'] ?? 3);
const MIB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Peak resident set of a process so far, in MB (Linux VmHWM). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function writeRandom(path: string, mb: number): Promise<void> {
  const out = createWriteStream(path);
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < mb; i++) yield randomBytes(MIB);
      })(),
    ),
    out,
  );
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return ((fields[11] ?? 0) + (fields[12] ?? 0)) / 100;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  const work = await mkdtemp(join(tmpdir(), 'rexec-bench-files-'));
  cleanup.teardown(() => rm(work, { recursive: true, force: true }));
  try {
    const cp = await startBenchControlPlane(cleanup, { REXEC_MAX_UPLOAD_MB: String(FILE_MB * 2) });
    const agent = await cp.joinAgent('bench-files', {
      REXEC_RUNTIME: 'podman',
      ...(process.env['REXEC_BENCH_AGENT_NODE_OPTIONS'] === undefined
        ? {}
        : { NODE_OPTIONS: process.env['REXEC_BENCH_AGENT_NODE_OPTIONS'] }),
    });
    const { hosts } = await cp.api(HostList, 'GET', '/hosts');
    const hostId = hosts.find((host) => host.name === 'bench-files')?.id;
    if (hostId === undefined) throw new Error('the agent connected but its host is not listed');
    cleanup.teardown(() => removeTestHost('podman', hostId));
    await cp.api(Tier, 'PATCH', '/tiers/enterprise', {
      rate_limits: { operations_per_minute: 100_000 },
    });
    const created = await cp.api(Container, 'POST', '/containers', {
      image: 'custom',
      custom_image: BUSYBOX_IMAGE,
      resources: { cpu_millicores: 1000, memory_mb: 256, disk_mb: FILE_MB * 4 + 1024 },
    });
    for (let i = 0; ; i++) {
      const got = await cp.api(Container, 'GET', `/containers/${created.id}`);
      if (got.status === 'running') break;
      if (got.status !== 'creating' || i > 600) throw new Error(`container went ${got.status}`);
      await sleep(100);
    }
    const name = `rexec-${created.id}`;
    const { url, adminToken } = cp.controlPlane;
    const filesUrl = (path: string) =>
      `${url}/api/v1/containers/${created.id}/files?path=${encodeURIComponent(path)}`;
    const controlPlanePid = cp.controlPlane.process.pid;
    const agentPid = agent.process.pid;
    if (controlPlanePid === undefined || agentPid === undefined) throw new Error('no pids');
    const pids = { controlPlane: controlPlanePid, agent: agentPid };

    // The client is curl on both sides, as a user would run it: node's fetch with web streams
    // burns a core of its own on a 200 MB body, which these two cores then miss.
    const curl = async (args: string[], expected: string) => {
      const start = performance.now();
      const { stdout } = await execa('curl', [
        '-sS',
        '-w',
        '%{http_code}',
        '-H',
        `authorization: Bearer ${adminToken}`,
        ...args,
      ]);
      if (stdout !== expected) throw new Error(`curl ${args.join(' ')} answered ${stdout}`);
      return performance.now() - start;
    };
    const upload = (local: string, remote: string) =>
      curl(['-o', '/dev/null', '-T', local, filesUrl(remote)], '201');
    const download = (remote: string, local: string) =>
      curl(['-o', local, filesUrl(remote)], '200');
    const podmanUp = async (local: string, remote: string) => {
      const start = performance.now();
      await execa('podman', ['cp', local, `${name}:${remote}`]);
      return performance.now() - start;
    };
    const podmanDown = async (remote: string, local: string) => {
      const start = performance.now();
      await execa('podman', ['cp', `${name}:${remote}`, local]);
      return performance.now() - start;
    };

    // What the agent itself runs: a tar through a pipe into `cp -`, which podman first copies
    // whole to /var/tmp before extracting, and `cp CTR:path -` out to a pipe. Rexec cannot be
    // faster than these; against the file-to-file `podman cp` above they set its ceiling.
    const podmanPipeUp = async (tarFile: string) => {
      const start = performance.now();
      await execa('podman', ['cp', '-', `${name}:/root/`], { input: createReadStream(tarFile) });
      return performance.now() - start;
    };
    const podmanPipeDown = async (remote: string, local: string) => {
      const start = performance.now();
      const child = execa('podman', ['cp', `${name}:${remote}`, '-'], { buffer: false });
      await Promise.all([pipeline(child.stdout, createWriteStream(local)), child]);
      return performance.now() - start;
    };

    const small = join(work, 'small.bin');
    const large = join(work, 'large.bin');
    await writeRandom(small, SMALL_MB);
    await writeRandom(large, FILE_MB);
    const largeSha = await sha256File(large);
    const largeTar = join(work, 'large-pipe.tar');
    await execa('tar', [
      '-cf',
      largeTar,
      '-C',
      work,
      '--transform',
      's/large/large-pipe/',
      'large.bin',
    ]);

    await upload(small, '/root/small.bin');
    await download('/root/small.bin', join(work, 'small.back'));
    const afterSmall = {
      controlPlane: await peakRssMb(pids.controlPlane),
      agent: await peakRssMb(pids.agent),
    };

    const cpu = { up: { controlPlane: 0, agent: 0 }, down: { controlPlane: 0, agent: 0 } };
    const measured = async <T>(
      into: { controlPlane: number; agent: number },
      work: () => Promise<T>,
    ) => {
      const before = [await cpuSeconds(pids.controlPlane), await cpuSeconds(pids.agent)];
      const result = await work();
      into.controlPlane += (await cpuSeconds(pids.controlPlane)) - (before[0] ?? 0);
      into.agent += (await cpuSeconds(pids.agent)) - (before[1] ?? 0);
      return result;
    };
    // What the two processes burn doing nothing (heartbeats, usage sampling), for comparison.
    const idle = { controlPlane: 0, agent: 0 };
    const IDLE_MS = 10_000;
    await measured(idle, () => sleep(IDLE_MS));
    const times = {
      rexecUp: [] as number[],
      rexecDown: [] as number[],
      podmanUp: [] as number[],
      podmanDown: [] as number[],
      pipeUp: [] as number[],
      pipeDown: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      times.rexecUp.push(await measured(cpu.up, () => upload(large, '/root/large.bin')));
      times.podmanUp.push(await podmanUp(large, '/root/large-podman.bin'));
      const back = join(work, 'large.back');
      times.rexecDown.push(await measured(cpu.down, () => download('/root/large.bin', back)));
      if ((await sha256File(back)) !== largeSha) throw new Error('the download differs');
      await rm(back);
      times.podmanDown.push(await podmanDown('/root/large-podman.bin', back));
      await rm(back);
      times.pipeUp.push(await podmanPipeUp(largeTar));
      times.pipeDown.push(await podmanPipeDown('/root/large-pipe.bin', back));
      await rm(back);
    }
    const afterLarge = {
      controlPlane: await peakRssMb(pids.controlPlane),
      agent: await peakRssMb(pids.agent),
    };

    const rate = (ms: number) => FILE_MB / (ms / 1000);
    const row = (label: string, ms: readonly number[]) =>
      `${label.padEnd(24)} ${rate(median(ms)).toFixed(0).padStart(6)} MB/s  (median of ${ms.length}, ${median(ms).toFixed(0)} ms)`;
    console.log(`file size ${FILE_MB} MB, sha256 checked on every Rexec download`);
    console.log(row('upload via Rexec', times.rexecUp));
    console.log(row('upload via podman cp', times.podmanUp));
    console.log(row('upload via podman cp -', times.pipeUp));
    console.log(row('download via Rexec', times.rexecDown));
    console.log(row('download via podman cp', times.podmanDown));
    console.log(row('download via podman cp -', times.pipeDown));
    const ratio = (label: string, rexec: readonly number[], file: number[], pipe: number[]) =>
      console.log(
        `ratio ${label.padEnd(8)} ${(median(file) / median(rexec)).toFixed(2)}x of podman cp (target >= 0.7); ` +
          `${(median(pipe) / median(rexec)).toFixed(2)}x of podman cp through a pipe, ` +
          `whose own ceiling is ${(median(file) / median(pipe)).toFixed(2)}x`,
      );
    ratio('upload', times.rexecUp, times.podmanUp, times.pipeUp);
    ratio('download', times.rexecDown, times.podmanDown, times.pipeDown);
    const perRound = (seconds: number) => (seconds / ROUNDS).toFixed(2);
    console.log(
      `CPU seconds per ${FILE_MB} MB: upload control plane ${perRound(cpu.up.controlPlane)}, agent ${perRound(cpu.up.agent)}; ` +
        `download control plane ${perRound(cpu.down.controlPlane)}, agent ${perRound(cpu.down.agent)}`,
    );
    console.log(
      `CPU seconds idle per 10 s: control plane ${idle.controlPlane.toFixed(2)}, agent ${idle.agent.toFixed(2)}`,
    );
    console.log(
      `peak RSS control plane: ${afterSmall.controlPlane.toFixed(0)} MB after ${SMALL_MB} MB, ${afterLarge.controlPlane.toFixed(0)} MB after ${FILE_MB} MB`,
    );
    console.log(
      `peak RSS agent:         ${afterSmall.agent.toFixed(0)} MB after ${SMALL_MB} MB, ${afterLarge.agent.toFixed(0)} MB after ${FILE_MB} MB`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
