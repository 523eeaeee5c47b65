// The chaos suite at CI size: one real control plane on its own Postgres, one real agent behind a
// severable proxy, and one trial per fault kind (short outages) at seeded random points of
// create/start/stop/delete. After each, the system must converge within 60 s (invariants.ts), and
// at the end nothing of the host may be left on the machine. bench/chaos.ts is the full size.
import t from 'tap';
import { requireEngine } from '../helpers/engine.js';
import { runChaos } from './chaos-run.js';
import { FAULT_KINDS, PROFILES, type FaultKind } from './faults.js';
import { leftovers } from './invariants.js';
import { describeTrial, figuresOf, formatFigures } from './report.js';
import { chaosSeed, seededRandom } from './seeded-random.js';
import { startWorld } from './world.js';

/**
 * Faults left out of the CI mix until the convergence fix they need has landed, each with the
 * state it leaves on today's code (bench/chaos.ts still runs them all; the invariants are the same).
 * Remove an entry when its fix is merged.
 */
export const CI_EXCLUDED_FAULTS: ReadonlyMap<FaultKind, string> = new Map();

void t.test('the system converges within 60 s after each kind of fault', async (t) => {
  const kind = await requireEngine(t);
  const seed = chaosSeed();
  t.comment(`chaos seed ${seed} (replay with REXEC_CHAOS_SEED=${seed})`);
  const random = seededRandom(seed);
  const kinds = FAULT_KINDS.filter((k) => !CI_EXCLUDED_FAULTS.has(k));
  for (const [excluded, why] of CI_EXCLUDED_FAULTS)
    t.comment(`left out for now: ${excluded}: ${why}`);
  // Every kind once, in an order the seed decides.
  const order = random.shuffle(kinds);
  const world = await startWorld(t, { kind, hostCount: 1, prefix: `chaos-${seed}` });
  const hostIds = world.hosts.map((host) => host.hostId);

  const results = await runChaos(world, {
    trials: order.length,
    random,
    kinds: order,
    inOrder: true,
    profile: PROFILES.ci,
    onTrial: (result) => t.comment(describeTrial(result)),
  });
  for (const result of results) t.ok(result.converged, describeTrial(result));
  t.comment(formatFigures(seed, figuresOf(results)));

  await world.close();
  t.same(await leftovers(kind, hostIds), [], 'the host left nothing on the machine');
});
