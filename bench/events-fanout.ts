// Benchmark: event fan-out over Server-Sent Events. A real control plane process on a throwaway
// Postgres; N subscribers (`GET /events/stream`, each its own socket, all one user's) and status
// changes written the way the control plane writes them (event-source.ts), one every interval.
// Prints the delay from each event's commit to its arrival at each subscriber (p50/p99; target
// p99 ≤ 200 ms), what was lost, repeated or out of order, and the CPU the control plane and
// Postgres spent while fanning out. Asserts nothing; test/bench/event-benches.test.ts runs it small.
// Run: node --import tsx --conditions=rexec-source bench/events-fanout.ts [--subscribers 1000]
//      [--events 50] [--interval-ms 200] [--containers 5]; REXEC_BENCH_NODE_OPTIONS becomes the
//      control plane's NODE_OPTIONS (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
import { request as httpRequest, type ClientRequest } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Teardowns, percentile, startBenchControlPlane } from './control-plane.js';
import { positiveIntFlag } from './flags.js';
import { allowLists, startEventWriter } from './event-source.js';
import { postmasterPid, sampleCpu } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    events: { type: 'string', default: '50' },
    'interval-ms': { type: 'string', default: '200' },
    containers: { type: 'string', default: '5' },
  },
});
const SUBSCRIBERS = positiveIntFlag('subscribers', values.subscribers);
const EVENTS = positiveIntFlag('events', values.events);
const INTERVAL_MS = positiveIntFlag('interval-ms', values['interval-ms']);
const CONTAINERS = positiveIntFlag('containers', values.containers);
/** Streams opened at once while connecting. */
const CONNECTING = 50;
/** How long the last event may take to reach everyone before the run counts it lost. */
const DRAIN_LIMIT_MS = 30_000;

/** One subscriber: the arrival time of every event id it received, in arrival order. */
interface Subscriber {
  request: ClientRequest;
  arrivals: { id: string; at: number }[];
  /** The server ended the stream (or the bench did, at the end). */
  closed: boolean;
}

function subscribe(base: string, token: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${base}/api/v1/events/stream?type=container.*`);
    const request = httpRequest(url, {
      agent: false,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    const subscriber: Subscriber = { request, arrivals: [], closed: false };
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /events/stream answered ${response.statusCode}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      let buffered = '';
      let opened = false;
      response.on('data', (chunk: string) => {
        const at = performance.now();
        if (!opened) {
          opened = true;
          resolve(subscriber); // the `retry:` line: the stream is being served
        }
        buffered += chunk;
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(frame)?.[1];
          if (id !== undefined) subscriber.arrivals.push({ id, at });
          end = buffered.indexOf('\n\n');
        }
      });
      response.on('error', () => undefined); // ended by the bench's own destroy()
      response.on('close', () => (subscriber.closed = true));
    });
    request.on('error', reject);
    request.end();
  });
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const nodeOptions = process.env['REXEC_BENCH_NODE_OPTIONS'];
    const cp = await startBenchControlPlane(
      cleanup,
      nodeOptions === undefined || nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions },
    );
    const tierLimits = await allowLists(cp, SUBSCRIBERS + 100);
    const writer = await startEventWriter(cp, cleanup, CONTAINERS, 2);

    const connectStart = performance.now();
    const subscribers: Subscriber[] = [];
    cleanup.teardown(() => {
      for (const subscriber of subscribers) subscriber.request.destroy();
    });
    for (let i = 0; i < SUBSCRIBERS; i += CONNECTING) {
      const batch = Array.from({ length: Math.min(CONNECTING, SUBSCRIBERS - i) }, () =>
        subscribe(cp.controlPlane.url, writer.token),
      );
      subscribers.push(...(await Promise.all(batch)));
    }
    const connectMs = performance.now() - connectStart;

    const received = () => subscribers.reduce((sum, s) => sum + s.arrivals.length, 0);
    const waitForAll = async (count: number, limitMs: number): Promise<boolean> => {
      const deadline = performance.now() + limitMs;
      while (received() < count * SUBSCRIBERS) {
        if (performance.now() > deadline) return false;
        await sleep(5);
      }
      return true;
    };

    // One event to warm up (a just-started process compiles its hot paths); not measured.
    const commits = new Map<string, number[]>(writer.containerIds.map((id) => [id, []]));
    const commitOf = async (index: number) => {
      const id = writer.containerIds[index] ?? '';
      commits.get(id)?.push(await writer.toggle(index));
    };
    await commitOf(0);
    if (!(await waitForAll(1, DRAIN_LIMIT_MS))) {
      throw new Error(
        `the warm-up event reached ${received()} of ${SUBSCRIBERS} subscribers ` +
          `(${subscribers.filter((s) => s.closed).length} streams ended); the control ` +
          `plane said:\n${cp.controlPlane.output().slice(-6000)}`,
      );
    }
    const warmupId = subscribers[0]?.arrivals[0]?.id;

    const cpPid = cp.controlPlane.process.pid;
    if (cpPid === undefined) throw new Error('the control plane process has no pid');
    const postmaster = await postmasterPid(cp.pgData);
    const load = loadavg()[0] ?? 0;
    const cpuBefore = await sampleCpu(cpPid, postmaster);
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const tick = performance.now();
      await commitOf((i + 1) % CONTAINERS);
      const left = INTERVAL_MS - (performance.now() - tick);
      if (left > 0 && i < EVENTS - 1) await sleep(left);
    }
    const drained = await waitForAll(EVENTS + 1, DRAIN_LIMIT_MS);
    const fanOutMs = performance.now() - started;
    const cpuAfter = await sampleCpu(cpPid, postmaster);

    // Pair each event id with its commit: per container, the k-th event is the k-th toggle.
    const committedAt = new Map<string, number>();
    const order = new Map<string, number>();
    let position = 0;
    for (const [containerId, ids] of await writer.eventIds()) {
      const times = commits.get(containerId) ?? [];
      if (ids.length !== times.length) {
        throw new Error(`${containerId}: ${ids.length} events for ${times.length} toggles`);
      }
      ids.forEach((id, k) => committedAt.set(id, times[k] ?? Number.NaN));
    }
    for (const [id] of [...committedAt.entries()].sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0))) {
      order.set(id, position++);
    }
    const delays: number[] = [];
    let duplicates = 0;
    let outOfOrder = 0;
    let unknown = 0;
    let lost = 0;
    for (const subscriber of subscribers) {
      const seen = new Set<string>();
      let last = -1;
      for (const { id, at } of subscriber.arrivals) {
        const commit = committedAt.get(id);
        if (commit === undefined) {
          unknown++;
          continue;
        }
        if (seen.has(id)) duplicates++;
        seen.add(id);
        const rank = order.get(id) ?? -1;
        if (rank < last) outOfOrder++;
        last = rank;
        if (id !== warmupId) delays.push(at - commit);
      }
      lost += committedAt.size - seen.size;
    }

    const spent = (party: 'controlPlane' | 'postgres' | 'bench') =>
      cpuAfter[party] - cpuBefore[party];
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
    console.log(
      `events-fanout: ${SUBSCRIBERS} SSE subscribers on one control plane, ${EVENTS} status ` +
        `changes ${INTERVAL_MS} ms apart on ${CONTAINERS} containers (1-min load average ` +
        `${load.toFixed(1)})`,
    );
    line('tier limits', tierLimits);
    line('subscribers connected', `${SUBSCRIBERS} in ${(connectMs / 1000).toFixed(1)} s`);
    line(
      'deliveries',
      `${delays.length} of ${EVENTS * SUBSCRIBERS}` +
        (drained ? '' : ` (not all within ${DRAIN_LIMIT_MS} ms of the last commit)`),
    );
    line('lost', String(lost));
    line('duplicates', String(duplicates));
    line('out of order', String(outOfOrder));
    line('events from elsewhere', String(unknown));
    if (delays.length > 0) {
      line(
        'commit → delivery',
        `p50 ${percentile(delays, 50).toFixed(1)} ms, p90 ${percentile(delays, 90).toFixed(1)} ms, ` +
          `p99 ${percentile(delays, 99).toFixed(1)} ms (target ≤ 200), max ` +
          `${percentile(delays, 100).toFixed(1)} ms`,
      );
    }
    const perEvent = (ms: number) => (ms / EVENTS).toFixed(1);
    line(
      'control plane CPU',
      `${spent('controlPlane').toFixed(0)} ms over ${(fanOutMs / 1000).toFixed(1)} s ` +
        `(${perEvent(spent('controlPlane'))} ms per event, ` +
        `${((1000 * spent('controlPlane')) / Math.max(1, delays.length)).toFixed(0)} µs per delivery)`,
    );
    line(
      'Postgres CPU',
      `${spent('postgres').toFixed(0)} ms (${perEvent(spent('postgres'))} ms per event)`,
    );
    line('bench CPU', `${spent('bench').toFixed(0)} ms (the ${SUBSCRIBERS} subscribers)`);
  } finally {
    await cleanup.run();
  }
}

await main();
