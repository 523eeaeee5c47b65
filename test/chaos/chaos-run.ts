// Runs a series of chaos trials on one world with one seeded generator, shared by the suite
// (a few short trials, every fault kind once) and bench/chaos.ts (as many as asked, kinds drawn at
// random). Reporting is report.ts's.
import type { FaultKind, FaultProfile } from './faults.js';
import type { Random } from './seeded-random.js';
import { runTrial, type TrialResult } from './trial.js';
import type { World } from './world.js';

/**
 * A trial that could not even bring the system back (an agent that did not reconnect within the
 * process helper's wait, say) is a trial that did not converge, not the end of the run: the next
 * trial's recovery tries again.
 */
function failedTrial(index: number, kinds: readonly FaultKind[], error: unknown): TrialResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    index,
    operation: 'create',
    target: null,
    answer: 'not sent',
    fault: {
      kind: kinds[0] ?? 'kill_agent',
      delayMs: 0,
      durationMs: 0,
      hostIndex: 0,
      targetDraw: 0,
    },
    hit: null,
    restarted: [],
    converged: false,
    convergeMs: 0,
    violations: [
      { kind: 'host_offline', detail: `the trial failed: ${message.split('\n')[0] ?? ''}` },
    ],
    logTails: message,
  };
}

export interface ChaosRunOptions {
  trials: number;
  random: Random;
  /** The kinds to draw from; with `inOrder`, trial n uses kinds[n % kinds.length]. */
  kinds: readonly FaultKind[];
  inOrder?: boolean;
  profile: FaultProfile;
  onTrial?: (result: TrialResult) => void;
  /** Aborted: no new trial starts (the one running finishes, so its processes are known). */
  signal?: AbortSignal;
}

export async function runChaos(world: World, opts: ChaosRunOptions): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  const removed = new Set<string>();
  for (let index = 0; index < opts.trials && opts.signal?.aborted !== true; index += 1) {
    const kind = opts.kinds[index % opts.kinds.length];
    const kinds = opts.inOrder === true && kind !== undefined ? [kind] : opts.kinds;
    const result = await runTrial(world, opts.random, index, {
      kinds,
      profile: opts.profile,
      removed,
    }).catch((error: unknown) => failedTrial(index, kinds, error));
    results.push(result);
    opts.onTrial?.(result);
  }
  return results;
}
