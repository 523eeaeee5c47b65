// The figures of a chaos run, for the suite's failure messages and bench/chaos.ts's printout:
// trials, faults by kind, trials that converged, the slowest convergence, and duplicates, lost
// containers and stuck rows (each target 0), with every trial that did not converge spelled out.
import { FAULT_KINDS, type FaultKind } from './faults.js';
import { VIOLATION_KINDS, type ViolationKind } from './invariants.js';
import type { TrialResult } from './trial.js';

export interface ChaosFigures {
  trials: number;
  faults: Record<FaultKind, number>;
  converged: number;
  slowestConvergeMs: number;
  /** Violations still there at the convergence limit, by kind, summed over trials. */
  unconverged: Record<ViolationKind, number>;
}

export function figuresOf(results: readonly TrialResult[]): ChaosFigures {
  const faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<
    FaultKind,
    number
  >;
  const unconverged = Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, 0])) as Record<
    ViolationKind,
    number
  >;
  for (const result of results) {
    faults[result.fault.kind] += 1;
    for (const violation of result.violations) unconverged[violation.kind] += 1;
  }
  return {
    trials: results.length,
    faults,
    converged: results.filter((r) => r.converged).length,
    slowestConvergeMs: Math.max(0, ...results.map((r) => r.convergeMs)),
    unconverged,
  };
}

/** One line per trial, for logs and replays. */
export function describeTrial(result: TrialResult): string {
  const { fault } = result;
  const target = result.target === null ? '' : ` ${result.target}`;
  const hit = result.hit === null ? '' : ` hit ${result.hit}`;
  const restarted =
    result.restarted.length === 0 ? '' : `; restarted ${result.restarted.join(', ')}`;
  const verdict = result.converged
    ? `converged in ${result.convergeMs} ms`
    : `NOT converged after ${result.convergeMs} ms: ${result.violations.map((v) => `${v.kind} ${v.detail}`).join('; ')}`;
  return (
    `trial ${result.index}: ${result.operation}${target} → ${result.answer}; ${fault.kind} ` +
    `at +${fault.delayMs} ms for ${fault.durationMs} ms on host ${fault.hostIndex}${hit}${restarted}; ${verdict}`
  );
}

export function formatFigures(seed: number, figures: ChaosFigures): string {
  const faults = Object.entries(figures.faults)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const { unconverged: u } = figures;
  return [
    `seed:                 ${seed} (replay with REXEC_CHAOS_SEED=${seed})`,
    `trials run:           ${figures.trials}`,
    `faults by kind:       ${faults}`,
    `converged (≤ 60 s):   ${figures.converged} of ${figures.trials}`,
    `slowest convergence:  ${figures.slowestConvergeMs} ms`,
    `duplicates:           ${u.duplicate}`,
    `lost containers:      ${u.lost}`,
    `stuck rows:           ${u.stuck}`,
    `other violations:     mismatch ${u.mismatch}, orphan ${u.orphan}, reservation ${u.reservation}, ` +
      `quota ${u.quota}, host_offline ${u.host_offline}`,
  ].join('\n');
}
