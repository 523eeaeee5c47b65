// Benchmark: terminal keystroke round trip (p50/p99) and bulk output throughput (MB/s) through
// Rexec (WebSocket client → control plane → agent → `podman exec -it` under the agent's PTY) next
// to a PTY running `podman exec -it` on the same container directly (node-pty, as the agent does).
// One busybox container on a real control plane on Postgres with one real podman agent. A
// keystroke is one byte typed with echo on, timed until its echo arrives; bulk is `cat` of a file
// of random bytes with output post-processing off, timed until the end marker. Prints figures:
// for bulk also the mean size of what the client received at a time and the CPU each party spent
// per MB (from /proc; the control plane and agent idle along on the direct path). A third path
// opens the terminal through a second replica on the same database, which forwards it to the one
// holding the agent's socket.
// Run: node --import tsx --conditions=rexec-source bench/terminal.ts
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { spawn, type IPty } from 'node-pty';
import { execa } from 'execa';
import { Container, HostList } from '@rexec/protocol';
import { TerminalClient } from '../test/control-plane/terminal/terminal-client.js';
import { BUSYBOX_IMAGE, removeTestHost } from '../test/helpers/engine.js';
import { startControlPlane } from '../test/helpers/processes.js';
import { Teardowns, percentile, startBenchControlPlane } from './control-plane.js';
import { machineBusyMs, processCpuMs } from './process-cpu.js';

const KEYSTROKES = Number(process.env['REXEC_BENCH_KEYSTROKES'] ?? 300);
const BULK_MB = Number(process.env['REXEC_BENCH_BULK_MB'] ?? 50);
const RESOURCES = { cpu_millicores: 500, memory_mb: 128, disk_mb: 1024 };

for (const [name, value] of [
  ['REXEC_BENCH_KEYSTROKES', KEYSTROKES],
  ['REXEC_BENCH_BULK_MB', BULK_MB],
] as const) {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${String(value)}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A terminal under test, whichever path its bytes take. */
interface Terminal {
  write(input: string): void;
  /** Called with every output chunk until the returned function is called. */
  listen(onData: (chunk: Buffer) => void): () => void;
  close(): Promise<void>;
}

function rexecTerminal(client: TerminalClient): Terminal {
  return {
    write: (input) => client.type(input),
    listen(onData) {
      const handler = (data: Buffer, isBinary: boolean) => {
        if (isBinary) onData(data);
      };
      client.ws.on('message', handler);
      return () => client.ws.off('message', handler);
    },
    close: async () => {
      await client.close();
    },
  };
}

function directTerminal(pty: IPty): Terminal {
  return {
    write: (input) => pty.write(input),
    listen(onData) {
      const subscription = pty.onData((text) => onData(Buffer.from(text, 'latin1')));
      return () => subscription.dispose();
    },
    close: async () => {
      const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()));
      pty.write('exit\n');
      await Promise.race([exited, sleep(5_000)]);
      pty.kill();
    },
  };
}

/** Resolves once the output (since the call) contains `marker`; rejects after `timeoutMs`. */
function waitFor(terminal: Terminal, marker: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let tail = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${JSON.stringify(marker)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = terminal.listen((chunk) => {
      // Only a chunk's last bytes can hold the marker's start: a big chunk is not copied whole.
      const keep = marker.length + 4096;
      tail = (tail + chunk.subarray(-keep).toString('latin1')).slice(-keep);
      if (tail.includes(marker)) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

/** Runs `line` and waits for `marker`, which the line must only produce by running. */
async function run(terminal: Terminal, line: string, marker: string): Promise<void> {
  const done = waitFor(terminal, marker);
  terminal.write(`${line}\n`);
  await done;
}

async function keystrokes(terminal: Terminal): Promise<number[]> {
  await run(terminal, 'stty echo; echo ready-$((1+1))', 'ready-2');
  const samples: number[] = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    const echoed = waitFor(terminal, 'k', 10_000);
    const start = performance.now();
    terminal.write('k');
    await echoed;
    samples.push(performance.now() - start);
    // Keep the line short: Ctrl-U erases it every so often.
    if (i % 50 === 49) terminal.write('\u0015');
  }
  terminal.write('\u0015');
  return samples;
}

/** CPU milliseconds so far of the processes on a path; what the machine spent beside them is the rest. */
type CpuParties = Record<string, () => Promise<number>>;

interface Bulk {
  mbPerSecond: number;
  /** CPU milliseconds per MB moved, by party, with `rest` for the machine's other busy time. */
  cpuPerMb: Record<string, number>;
  /** Mean size of what the client received at a time (WebSocket frames, or PTY reads). */
  chunkBytes: number;
}

async function sampleParties(parties: CpuParties): Promise<Record<string, number>> {
  const sample: Record<string, number> = { machine: await machineBusyMs() };
  for (const [name, read] of Object.entries(parties)) sample[name] = await read();
  return sample;
}

async function bulk(terminal: Terminal, parties: CpuParties): Promise<Bulk> {
  await run(terminal, 'stty -echo -opost; echo raw-$((2+3))', 'raw-5');
  let bytes = 0;
  let chunks = 0;
  const stop = terminal.listen((chunk) => {
    bytes += chunk.byteLength;
    chunks++;
  });
  const done = waitFor(terminal, 'END_4', 600_000);
  const before = await sampleParties(parties);
  const start = performance.now();
  terminal.write('cat /tmp/bench-big; echo END_$((2+2))\n');
  await done;
  const seconds = (performance.now() - start) / 1000;
  const after = await sampleParties(parties);
  stop();
  await run(terminal, 'stty echo opost; echo cooked-$((3+4))', 'cooked-7');
  if (bytes < BULK_MB * 1024 * 1024) {
    throw new Error(`only ${bytes} bytes arrived of ${BULK_MB} MB`);
  }
  const cpuPerMb: Record<string, number> = {};
  let parts = 0;
  for (const name of Object.keys(parties)) {
    const spent = (after[name] ?? 0) - (before[name] ?? 0);
    cpuPerMb[name] = spent / BULK_MB;
    parts += spent;
  }
  cpuPerMb['rest'] = ((after['machine'] ?? 0) - (before['machine'] ?? 0) - parts) / BULK_MB;
  return { mbPerSecond: BULK_MB / seconds, cpuPerMb, chunkBytes: bytes / chunks };
}

function line(label: string, samples: number[], bulk: Bulk): string {
  const p50 = percentile(samples, 50).toFixed(2);
  const p99 = percentile(samples, 99).toFixed(2);
  const cpu = Object.entries(bulk.cpuPerMb)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
    .join(', ');
  return (
    `${label.padEnd(28)} keystroke p50 ${p50} ms  p99 ${p99} ms   bulk ${bulk.mbPerSecond.toFixed(1)} MB/s in ${(bulk.chunkBytes / 1024).toFixed(1)} KB chunks\n` +
    `${''.padEnd(28)} CPU ms per MB: ${cpu}`
  );
}

function pidOf(pid: number | undefined, what: string): number {
  if (pid === undefined) throw new Error(`the ${what} process has no pid`);
  return pid;
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const secret = randomBytes(32).toString('hex');
    const cp = await startBenchControlPlane(cleanup, { REXEC_CLUSTER_SECRET: secret });
    const controlPlanePid = pidOf(cp.controlPlane.process.pid, 'control plane');
    const agent = await cp.joinAgent('bench-terminal', { REXEC_RUNTIME: 'podman' });
    const agentPid = pidOf(agent.process.pid, 'agent');
    const { hosts } = await cp.api(HostList, 'GET', '/hosts');
    const hostId = hosts.find((host) => host.name === 'bench-terminal')?.id;
    if (hostId === undefined) throw new Error('the agent connected but its host is not listed');
    // The container, and the user's network, volume and iptables guard the agent made for it.
    cleanup.teardown(() => removeTestHost('podman', hostId));
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
    await execa('podman', [
      'exec',
      `rexec-${created.id}`,
      'sh',
      '-c',
      `head -c ${BULK_MB * 1024 * 1024} /dev/urandom > /tmp/bench-big`,
    ]);

    const open = async (url: string, session: string) => {
      const client = await TerminalClient.connect(url, created.id, {
        token: cp.controlPlane.adminToken,
        session,
        keepOutput: false,
        hashOutput: false,
      });
      await client.next('ready');
      return rexecTerminal(client);
    };
    const rexec = await open(cp.controlPlane.url, 'bench');
    // A second replica on the same database, without the agent: its terminals are forwarded.
    const other = await startControlPlane(cleanup.asTest(), {
      env: {
        REXEC_DATABASE_URL: cp.databaseUrl,
        REXEC_BOOTSTRAP_ADMIN_TOKEN: cp.controlPlane.adminToken,
        REXEC_CLUSTER_SECRET: secret,
      },
    });
    const otherPid = pidOf(other.process.pid, 'second replica');
    const forwarded = await open(other.url, 'bench-forwarded');
    const pty = spawn('podman', ['exec', '-it', `rexec-${created.id}`, 'sh'], {
      name: 'xterm-256color',
      cols: 80,
      rows: 24,
      encoding: null,
    });
    const direct = directTerminal(pty);

    // Alternate the paths so a load spike on this host hits both alike.
    const rexecKeys = await keystrokes(rexec);
    const forwardedKeys = await keystrokes(forwarded);
    const directKeys = await keystrokes(direct);
    const self = () => {
      const usage = process.cpuUsage();
      return Promise.resolve((usage.user + usage.system) / 1000);
    };
    // The control plane and the agent are measured on the direct path too: what they spend there
    // is their background work, which the Rexec path pays as well.
    const parties: CpuParties = {
      client: self,
      'control plane': () => processCpuMs(controlPlanePid),
      agent: () => processCpuMs(agentPid),
    };
    const rexecBulk = await bulk(rexec, parties);
    const forwardedBulk = await bulk(forwarded, {
      ...parties,
      'other replica': () => processCpuMs(otherPid),
    });
    const directBulk = await bulk(direct, parties);
    await rexec.close();
    await forwarded.close();
    await direct.close();

    console.log(`terminal benchmark: ${KEYSTROKES} keystrokes, ${BULK_MB} MB bulk, busybox sh`);
    console.log(line('rexec (ws → cp → agent)', rexecKeys, rexecBulk));
    console.log(line('rexec via the other replica', forwardedKeys, forwardedBulk));
    console.log(line('podman exec -it (node-pty)', directKeys, directBulk));
    const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(2)}`;
    const extra = (p: number) => signed(percentile(rexecKeys, p) - percentile(directKeys, p));
    console.log(
      `rexec against direct: keystroke ${extra(50)} ms p50, ${extra(99)} ms p99; ` +
        `bulk ${(rexecBulk.mbPerSecond / directBulk.mbPerSecond).toFixed(2)}×`,
    );
    const forwardedExtra = (p: number) =>
      signed(percentile(forwardedKeys, p) - percentile(rexecKeys, p));
    console.log(
      `forwarded against the holding replica: keystroke ${forwardedExtra(50)} ms p50, ` +
        `${forwardedExtra(99)} ms p99; bulk ` +
        `${(forwardedBulk.mbPerSecond / rexecBulk.mbPerSecond).toFixed(2)}×`,
    );
    console.log(
      '"rest" is the machine\'s other busy time: podman, conmon, the shell and the kernel',
    );
  } finally {
    await cleanup.run();
  }
}

await main();
