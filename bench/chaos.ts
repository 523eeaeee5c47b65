// Benchmark: the chaos suite at full size (test/chaos/): a real control plane on its own Postgres,
// real agents behind severable proxies, and N trials, each a create/start/stop/delete hit at a
// seeded random point by a random fault (kill -9 of an agent or the control plane, Postgres down
// 5–30 s, an engine container killed or removed from outside, the agent's link cut 2–20 s). After
// each the system must converge within 60 s. Prints the figures; asserts nothing.
// Run: node --import tsx --conditions=rexec-source bench/chaos.ts --trials 200 [--hosts 1]
//      [--faults kill_agent,network_cut] [--profile full|ci]; REXEC_CHAOS_SEED replays a run,
//      REXEC_CHAOS_LOGS=1 prints the processes' last log lines after a trial that did not converge
//      or took SLOW_TRIAL_MS (20 s) or more.
import { parseArgs } from 'node:util';
import { detectEngine } from '../test/helpers/engine.js';
import { runChaos } from '../test/chaos/chaos-run.js';
import { FAULT_KINDS, PROFILES, type FaultKind } from '../test/chaos/faults.js';
import { leftovers } from '../test/chaos/invariants.js';
import { describeTrial, figuresOf, formatFigures } from '../test/chaos/report.js';
import { chaosSeed, seededRandom } from '../test/chaos/seeded-random.js';
import { startWorld } from '../test/chaos/world.js';
import { Teardowns } from './control-plane.js';
import { positiveIntFlag } from './flags.js';

function faultKinds(value: string): FaultKind[] {
  const kinds = value.split(',').map((kind) => kind.trim());
  for (const kind of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`--faults: "${kind}" is none of ${FAULT_KINDS.join(', ')}`);
    }
  }
  return kinds as FaultKind[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '200' },
      hosts: { type: 'string', default: '1' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      profile: { type: 'string', default: 'full' },
    },
  });
  const trials = positiveIntFlag('trials', values.trials);
  const hostCount = positiveIntFlag('hosts', values.hosts);
  const kinds = faultKinds(values.faults);
  if (values.profile !== 'full' && values.profile !== 'ci') {
    throw new Error(`--profile must be full or ci, got "${values.profile}"`);
  }
  const profile = PROFILES[values.profile];
  const kind = await detectEngine();
  if (kind === null) throw new Error('no container engine answers `info`');
  const seed = chaosSeed();
  console.log(
    `chaos: seed ${seed}, ${trials} trials, ${hostCount} host(s), ${kind}, ${profile.name} outages`,
  );

  const cleanup = new Teardowns();
  // Ctrl-C still removes what the hosts made and the cluster (agents leave containers by design).
  // The first one lets the running trial end and starts no other, so no process is restarted
  // behind the cleanup's back (a recovery that did left an agent running); the second one cleans
  // up at once.
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!interrupted.signal.aborted) {
        console.log(`\n${signal}: stopping after this trial (again to stop now)`);
        interrupted.abort();
        return;
      }
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  let hostIds: string[] = [];
  const started = Date.now();
  try {
    const world = await startWorld(cleanup.asTest(), {
      kind,
      hostCount,
      prefix: `chaos-bench-${seed}`,
    });
    hostIds = world.hosts.map((host) => host.hostId);
    const results = await runChaos(world, {
      trials,
      random: seededRandom(seed),
      kinds,
      profile,
      signal: interrupted.signal,
      onTrial: (result) => {
        console.log(describeTrial(result));
        if (process.env['REXEC_CHAOS_LOGS'] === '1' && result.logTails !== '') {
          console.log(result.logTails);
        }
      },
    });
    console.log(`\n${formatFigures(seed, figuresOf(results))}`);
    console.log(`wall time:            ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await cleanup.run();
  }
  const left = await leftovers(kind, hostIds);
  console.log(`left behind:          ${left.length === 0 ? 'nothing' : left.join(', ')}`);
}

await main();
