// bench/events-fanout.ts and bench/webhooks.ts, run small (20 subscribers and 10 events; 20 live
// deliveries, then a backlog of 50, on 10 containers), still work end to end and their checks
// hold: every event reached every subscriber once and in order, every webhook delivery arrived
// once, signed, in order per container, and the outbox ended delivered. Their speed is the
// benchmarks' to report, never asserted here.
import t from 'tap';
import { runBench } from './bench-run.js';

// A Postgres cluster and a control plane of its own per run.
t.setTimeout(240_000);

void t.test('events-fanout: every event reaches every subscriber once, in order', async (t) => {
  const lines = await runBench('bench/events-fanout.ts', [
    '--subscribers',
    '20',
    '--events',
    '10',
    '--interval-ms',
    '50',
  ]);
  t.equal(lines.get('subscribers connected')?.split(' ')[0], '20');
  t.equal(lines.get('deliveries'), '200 of 200');
  t.equal(lines.get('lost'), '0');
  t.equal(lines.get('duplicates'), '0');
  t.equal(lines.get('out of order'), '0');
  t.equal(lines.get('events from elsewhere'), '0');
  t.match(lines.get('commit → delivery'), /^p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms/);
  t.match(lines.get('control plane CPU'), /^\d+ ms over [\d.]+ s/);
});

void t.test('webhooks: every delivery arrives signed, once, in order per container', async (t) => {
  const lines = await runBench('bench/webhooks.ts', [
    '--live-events',
    '20',
    '--events',
    '50',
    '--containers',
    '10',
    '--writers',
    '2',
  ]);
  t.match(lines.get('live: written, delivered'), /^20 written in \d+ ms, all delivered \d+ ms/);
  t.match(lines.get('live: commit → delivery'), /^p50 \d+ ms, p99 \d+ ms/);
  t.match(lines.get('backlog written (CP stopped)'), /^50 in \d+ ms$/);
  t.match(lines.get('deliveries/s'), /^\d+ \(backlog of 50 drained in \d+ ms; target ≥ 500\)$/);
  t.equal(lines.get('lost'), '0');
  t.equal(lines.get('bad signatures'), '0');
  t.equal(lines.get('bad bodies'), '0');
  t.equal(lines.get('containers out of order'), '0');
  t.equal(lines.get('events from elsewhere'), '0');
  t.equal(lines.get('outbox'), 'delivered 70');
});
