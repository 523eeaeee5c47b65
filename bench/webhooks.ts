// Benchmark: webhook delivery throughput. A real control plane process on a throwaway Postgres,
// allowed to deliver to loopback (REXEC_WEBHOOK_ALLOW_PRIVATE); one webhook of a bench user
// pointing at an HTTP receiver in this process; status changes on K containers written the way
// the control plane writes them (event-source.ts) by a few writers. First some events live, while
// the dispatcher runs: the delay from each commit to its arrival (p50/p99). Then a backlog written
// while the control plane is stopped (SIGSTOP), so that draining it measures the dispatcher alone:
// deliveries per second (target ≥ 500). Every delivery is checked: its signature (HMAC-SHA256
// computed here, independently of the server's code), nothing lost, repeats counted, and each
// container's events arriving in commit order. Asserts nothing; test/bench/event-benches.test.ts
// runs it small.
// Run: node --import tsx --conditions=rexec-source bench/webhooks.ts [--events 2000]
//      [--live-events 500] [--containers 100] [--writers 8]; REXEC_BENCH_NODE_OPTIONS becomes the
//      control plane's NODE_OPTIONS (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { WebhookCreated } from '@rexec/protocol';
import pg from 'pg';
import { Teardowns, call, percentile, startBenchControlPlane } from './control-plane.js';
import { positiveIntFlag } from './flags.js';
import { startEventWriter } from './event-source.js';
import { postmasterPid, sampleCpu } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    'live-events': { type: 'string', default: '500' },
    containers: { type: 'string', default: '100' },
    writers: { type: 'string', default: '8' },
  },
});
/** The backlog, written while the control plane is stopped: what deliveries/s is measured on. */
const EVENTS = positiveIntFlag('events', values.events);
/** Written first while the dispatcher runs: what the commit → delivery delay is measured on. */
const LIVE_EVENTS = positiveIntFlag('live-events', values['live-events']);
const CONTAINERS = positiveIntFlag('containers', values.containers);
const WRITERS = Math.min(positiveIntFlag('writers', values.writers), CONTAINERS);
/** How long the last delivery may take before the run counts the rest lost. */
const DRAIN_LIMIT_MS = 60_000;

interface Arrival {
  eventId: string;
  containerId: string;
  at: number;
}

/** HMAC-SHA256(secret, "<timestamp>.<body>") as Rexec-Signature's v1, computed here. */
function signatureValid(secret: string, request: IncomingMessage, body: Buffer): boolean {
  const timestamp = request.headers['rexec-timestamp'];
  const signature = request.headers['rexec-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = Buffer.from(
    `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`,
  );
  return signature.split(',').some((part) => {
    const given = Buffer.from(part.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function main(): Promise<void> {
  const cleanup = new Teardowns();
  try {
    const nodeOptions = process.env['REXEC_BENCH_NODE_OPTIONS'];
    const cp = await startBenchControlPlane(cleanup, {
      REXEC_WEBHOOK_ALLOW_PRIVATE: 'true',
      ...(nodeOptions === undefined || nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
    });
    const writer = await startEventWriter(cp, cleanup, CONTAINERS, WRITERS);

    const arrivals: Arrival[] = [];
    let badSignatures = 0;
    let badBodies = 0;
    let secret = '';
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const at = performance.now();
        const body = Buffer.concat(chunks);
        if (!signatureValid(secret, request, body)) badSignatures++;
        try {
          const event = JSON.parse(body.toString('utf8')) as { id: string; container_id?: string };
          if (event.id !== request.headers['rexec-event-id']) badBodies++;
          arrivals.push({ eventId: event.id, containerId: event.container_id ?? '', at });
        } catch {
          badBodies++;
        }
        response.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    cleanup.teardown(() => new Promise((resolve) => receiver.close(resolve)));
    const { port } = receiver.address() as AddressInfo;

    const answer = await call(cp.controlPlane.url, writer.token, 'POST', '/webhooks', {
      url: `http://127.0.0.1:${port}/rexec`,
      events: ['container.*'],
      description: 'bench',
    });
    if (answer.status !== 201) throw new Error(`POST /webhooks: ${JSON.stringify(answer.body)}`);
    const webhook = WebhookCreated.parse(answer.body);
    secret = webhook.secret;

    const cpPid = cp.controlPlane.process.pid;
    if (cpPid === undefined) throw new Error('the control plane process has no pid');
    const postmaster = await postmasterPid(cp.pgData);
    const load = loadavg()[0] ?? 0;

    // Writer w toggles containers w, w + WRITERS, …, one at a time, so each container's toggles
    // are sequential and commit in the order recorded.
    const commits = new Map<string, number[]>(writer.containerIds.map((id) => [id, []]));
    const writeEvents = async (count: number): Promise<number> => {
      const started = performance.now();
      let written = 0;
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          const mine = writer.containerIds
            .map((id, index) => ({ id, index }))
            .filter(({ index }) => index % WRITERS === w);
          while (mine.length > 0) {
            for (const { id, index } of mine) {
              if (written >= count) return;
              written++;
              commits.get(id)?.push(await writer.toggle(index));
            }
          }
        }),
      );
      return performance.now() - started;
    };
    const seenIds = new Set<string>();
    let counted = 0;
    const delivered = () => {
      for (; counted < arrivals.length; counted++) seenIds.add(arrivals[counted]?.eventId ?? '');
      return seenIds.size;
    };
    /** Waits until `total` distinct events arrived; the time of the last one that counted. */
    const drain = async (total: number): Promise<number> => {
      const deadline = performance.now() + DRAIN_LIMIT_MS;
      while (delivered() < total && performance.now() < deadline) await sleep(5);
      return Math.max(...arrivals.map((a) => a.at));
    };

    // Live: events written while the dispatcher runs; the delay from commit to arrival.
    const liveStart = performance.now();
    const liveWriteMs = await writeEvents(LIVE_EVENTS);
    const liveEnd = await drain(LIVE_EVENTS);
    const liveArrivals = arrivals.length;

    // Backlog: the control plane is frozen (SIGSTOP) while the events are written, then thawed;
    // the outbox drains at the dispatcher's own pace, which is the throughput.
    process.kill(cpPid, 'SIGSTOP');
    let backlogWriteMs: number;
    let cpuBefore: Awaited<ReturnType<typeof sampleCpu>>;
    try {
      backlogWriteMs = await writeEvents(EVENTS);
      // Sampled while frozen; the clock starts at the thaw, with no await in between: a small
      // backlog can drain while an await is pending, which once gave a negative drain time.
      cpuBefore = await sampleCpu(cpPid, postmaster);
    } finally {
      process.kill(cpPid, 'SIGCONT');
    }
    const thawed = performance.now();
    const backlogEnd = await drain(LIVE_EVENTS + EVENTS);
    const cpuAfter = await sampleCpu(cpPid, postmaster);

    // Each container's events in the stable order, paired with its toggles' commit times.
    const committedAt = new Map<string, number>();
    const expected = await writer.eventIds();
    for (const [containerId, ids] of expected) {
      const times = commits.get(containerId) ?? [];
      if (ids.length !== times.length) {
        throw new Error(`${containerId}: ${ids.length} events for ${times.length} toggles`);
      }
      ids.forEach((id, k) => committedAt.set(id, times[k] ?? Number.NaN));
    }
    const delays: number[] = [];
    const seen = new Set<string>();
    const received = new Map<string, string[]>();
    let duplicates = 0;
    let unknown = 0;
    arrivals.forEach((arrival, index) => {
      const commit = committedAt.get(arrival.eventId);
      if (commit === undefined) {
        unknown++;
        return;
      }
      if (seen.has(arrival.eventId)) {
        duplicates++;
        return;
      }
      seen.add(arrival.eventId);
      if (index < liveArrivals) delays.push(arrival.at - commit);
      const list = received.get(arrival.containerId) ?? [];
      list.push(arrival.eventId);
      received.set(arrival.containerId, list);
    });
    // In order per container: the first deliveries of its events came in the commit order.
    let containersOutOfOrder = 0;
    for (const [containerId, ids] of expected) {
      const got = received.get(containerId) ?? [];
      const want = ids.filter((id) => seen.has(id));
      if (got.join(',') !== want.join(',')) containersOutOfOrder++;
    }
    const statuses = new pg.Client({ connectionString: cp.databaseUrl });
    await statuses.connect();
    const { rows } = await statuses.query<{ status: string; n: string }>(
      `select status, count(*)::text as n from webhook_deliveries group by status order by status`,
    );
    await statuses.end();

    const drainMs = backlogEnd - thawed;
    const backlogDelivered = seen.size - Math.min(seen.size, LIVE_EVENTS);
    const spent = (party: 'controlPlane' | 'postgres') => cpuAfter[party] - cpuBefore[party];
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
    console.log(
      `webhooks: ${LIVE_EVENTS} events live, then a backlog of ${EVENTS}, on ${CONTAINERS} ` +
        `containers by ${WRITERS} writers, one webhook to a local receiver (1-min load average ` +
        `${load.toFixed(1)})`,
    );
    line(
      'live: written, delivered',
      `${LIVE_EVENTS} written in ${liveWriteMs.toFixed(0)} ms, all delivered ` +
        `${(liveEnd - liveStart).toFixed(0)} ms after the first commit`,
    );
    if (delays.length > 0) {
      line(
        'live: commit → delivery',
        `p50 ${percentile(delays, 50).toFixed(0)} ms, p99 ${percentile(delays, 99).toFixed(0)} ms, ` +
          `max ${percentile(delays, 100).toFixed(0)} ms`,
      );
    }
    line('backlog written (CP stopped)', `${EVENTS} in ${backlogWriteMs.toFixed(0)} ms`);
    line(
      'deliveries/s',
      `${((1000 * backlogDelivered) / drainMs).toFixed(0)} (backlog of ${backlogDelivered} ` +
        `drained in ${drainMs.toFixed(0)} ms; target ≥ 500)`,
    );
    line('lost', String(LIVE_EVENTS + EVENTS - seen.size));
    line('repeated', String(duplicates));
    line('bad signatures', String(badSignatures));
    line('bad bodies', String(badBodies));
    line('containers out of order', String(containersOutOfOrder));
    line('events from elsewhere', String(unknown));
    line('outbox', rows.map((row) => `${row.status} ${row.n}`).join(', '));
    const perDelivery = (ms: number) => ((1000 * ms) / Math.max(1, backlogDelivered)).toFixed(0);
    line(
      'control plane CPU (drain)',
      `${spent('controlPlane').toFixed(0)} ms (${perDelivery(spent('controlPlane'))} µs/delivery)`,
    );
    line(
      'Postgres CPU (drain)',
      `${spent('postgres').toFixed(0)} ms (${perDelivery(spent('postgres'))} µs/delivery)`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
