// Runs a series of chaos trials on one world with one seeded generator, shared by the suite
// (a few short trials, every fault kind once) and bench/chaos.ts (as many as asked, kinds drawn at
// random). Reporting is report.ts's.
import type { FaultKind, FaultProfile } from './faults.js';
import type { Random } from './seeded-random.js';
import { runTrial, type TrialResult } from './trial.js';
import type { World } from './world.js';

export interface ChaosRunOptions {
  trials: number;
  random: Random;
  /** The kinds to draw from; with `inOrder`, trial n uses kinds[n % kinds.length]. */
  kinds: readonly FaultKind[];
  inOrder?: boolean;
  profile: FaultProfile;
  onTrial?: (result: TrialResult) => void;
}

export async function runChaos(world: World, opts: ChaosRunOptions): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  const removed = new Set<string>();
  for (let index = 0; index < opts.trials; index += 1) {
    const kind = opts.kinds[index % opts.kinds.length];
    const kinds = opts.inOrder === true && kind !== undefined ? [kind] : opts.kinds;
    const result = await runTrial(world, opts.random, index, {
      kinds,
      profile: opts.profile,
      removed,
    });
    results.push(result);
    opts.onTrial?.(result);
  }
  return results;
}
