// bench/placement.ts, run small (4 simulated hosts, 10 creates to warm up and 20 measured), still
// works end to end and its own checks hold: every create accepted and running, no host reserved
// past its capacity, every host's reservation equal to its containers', and the tier's limits left
// as shipped when each user's share fits them, raised only as far as needed when not. Its speed is
// the benchmark's to report, never asserted here.
import t, { type Test } from 'tap';
import { runBench } from './bench-run.js';

// A Postgres cluster and a control plane of its own per run.
t.setTimeout(240_000);

/** placement.ts at the smoke size, `env` on top. */
function runPlacement(env: Record<string, string>): Promise<Map<string, string>> {
  return runBench('bench/placement.ts', [], {
    REXEC_BENCH_HOSTS: '4',
    REXEC_BENCH_WARMUP: '10',
    REXEC_BENCH_CREATES: '20',
    REXEC_BENCH_IN_FLIGHT: '8',
    ...env,
  });
}

function checks(t: Test, lines: Map<string, string>): void {
  t.equal(lines.get('answers'), '202: 20', 'every measured create accepted');
  t.match(lines.get('warm-up (not measured)'), /^10 of 10 accepted at \d+\/s/);
  t.match(lines.get('placements/s (202s)'), /^\d+ \(20 in \d+ ms; target ≥ 500\)$/);
  t.match(lines.get('all running after'), /^\d+ ms$/, 'every container reported running');
  t.equal(lines.get('hosts reserved > capacity'), '0');
  t.equal(lines.get('hosts reserved ≠ Σ containers'), '0');
  t.match(lines.get('hosts used'), /^\d of 4, at most \d+ on one$/);
}

void t.test('one user per measured create: the tier stays as shipped', async (t) => {
  const lines = await runPlacement({});
  t.equal(lines.get('tier limits'), 'as shipped');
  checks(t, lines);
});

void t.test('one user for all 30 creates: count and create budget raised to 30', async (t) => {
  const lines = await runPlacement({ REXEC_BENCH_USERS: '1' });
  t.equal(lines.get('tier limits'), 'raised: max_containers 25 → 30, create_per_minute 10 → 30');
  checks(t, lines);
});

void t.test('two users: only the create budget is raised', async (t) => {
  const lines = await runPlacement({ REXEC_BENCH_USERS: '2' });
  t.equal(lines.get('tier limits'), 'raised: create_per_minute 10 → 15');
  checks(t, lines);
});
