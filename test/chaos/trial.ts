// One chaos trial: send a create, start, stop or delete, inject a fault at a random point of it,
// bring back what is down, and wait (at most CONVERGE_LIMIT_MS) until invariants.ts finds nothing
// wrong. Returns what happened, never throws for a trial that did not converge: counting those is
// the caller's (report.ts).
import { performance } from 'node:perf_hooks';
import { BUSYBOX_IMAGE } from '../helpers/engine.js';
import {
  injectFault,
  planFault,
  type FaultKind,
  type FaultPlan,
  type FaultProfile,
  type Operation,
} from './faults.js';
import { checkInvariants, liveRows, type LiveRow, type Violation } from './invariants.js';
import type { Random } from './seeded-random.js';
import type { World } from './world.js';

export const CONVERGE_LIMIT_MS = 60_000;
const POLL_MS = 500;
/** The most containers the trials keep at once: enough to race, few enough for 2 cores. */
const POOL_MAX = 4;
const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

export interface TrialResult {
  index: number;
  operation: Operation;
  target: string | null;
  /** The HTTP status the operation got, or what went wrong sending it. */
  answer: string;
  fault: FaultPlan;
  /** The container an engine fault hit. */
  hit: string | null;
  restarted: string[];
  converged: boolean;
  /** From recovery (all processes back) until the invariants first held (or the limit). */
  convergeMs: number;
  /** What was still wrong at the limit (empty when converged). */
  violations: Violation[];
  /** The processes' last log lines when the trial did not converge or was slow (for the finding). */
  logTails: string;
}

const TAIL_LINES = 40;
/** A converged trial this slow keeps its log tails too: what made it wait is worth reading. */
export const SLOW_TRIAL_MS = 20_000;

function logTails(world: World): string {
  const tail = (name: string, output: string) =>
    `--- ${name}\n${output.split('\n').slice(-TAIL_LINES).join('\n')}`;
  return [
    tail('control plane', world.controlPlane.output()),
    ...world.hosts.map((host) => tail(`agent ${host.name}`, host.agent.output())),
  ].join('\n');
}

interface Planned {
  operation: Operation;
  target: LiveRow | null;
}

/** An operation that makes sense for the rows there are; creates while the pool is small. */
function planOperation(random: Random, rows: readonly LiveRow[]): Planned {
  const byStatus = (status: string) => rows.filter((row) => row.status === status);
  const choices: Planned[] = [];
  if (rows.length < POOL_MAX) choices.push({ operation: 'create', target: null });
  if (rows.length < 2) return choices[0] ?? { operation: 'create', target: null };
  for (const row of byStatus('stopped')) choices.push({ operation: 'start', target: row });
  for (const row of byStatus('running')) choices.push({ operation: 'stop', target: row });
  for (const row of rows) choices.push({ operation: 'delete', target: row });
  // Errors (containers the chaos removed) are cleared before they crowd the pool.
  for (const row of byStatus('error')) choices.push({ operation: 'delete', target: row });
  return random.pick(choices);
}

async function send(world: World, planned: Planned, waitMs: number): Promise<string> {
  const id = planned.target?.id ?? '';
  const call = () => {
    switch (planned.operation) {
      case 'create':
        return world.api('POST', '/containers', {
          image: 'custom',
          custom_image: BUSYBOX_IMAGE,
          resources: BOX,
        });
      case 'start':
        return world.api('POST', `/containers/${id}/start`);
      case 'stop':
        return world.api('POST', `/containers/${id}/stop`);
      case 'delete':
        return world.api('DELETE', `/containers/${id}`);
    }
  };
  const answered = call().then(
    (answer) => String(answer.status),
    (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('no answer'), waitMs);
  });
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the invariants until they hold or the limit passes; a failed check counts as not yet. */
async function converge(
  world: World,
  removed: ReadonlySet<string>,
): Promise<{ converged: boolean; violations: Violation[] }> {
  const start = performance.now();
  const hostIds = world.hosts.map((host) => host.hostId);
  let violations: Violation[] = [];
  for (;;) {
    const db = await world.db();
    try {
      violations = await checkInvariants(db, world.kind, hostIds, removed);
    } catch (error) {
      violations = [{ kind: 'mismatch', detail: `check failed: ${String(error)}` }];
    } finally {
      await db.end().catch(() => undefined);
    }
    const ms = performance.now() - start;
    if (violations.length === 0) return { converged: true, violations };
    if (ms > CONVERGE_LIMIT_MS) return { converged: false, violations };
    await sleep(POLL_MS);
  }
}

/**
 * Runs trial `index`. `removed` collects the containers engine faults removed, across trials, so
 * their `error`/`container_missing` rows are not counted as lost.
 */
export async function runTrial(
  world: World,
  random: Random,
  index: number,
  opts: { kinds: readonly FaultKind[]; profile: FaultProfile; removed: Set<string> },
): Promise<TrialResult> {
  const db = await world.db();
  const rows = await liveRows(db).finally(() => db.end());
  const planned = planOperation(random, rows);
  const fault = planFault(random, opts.kinds, opts.profile, world.hosts.length);
  const answer = send(world, planned, opts.profile.answerWaitMs);
  await sleep(fault.delayMs);
  const hit = await injectFault(world, fault);
  if (hit !== null && fault.kind === 'engine_remove') opts.removed.add(hit);
  const restarted = await world.recover();
  const start = performance.now();
  // The answer first: a create still in flight could otherwise land after the check passed.
  const answered = await answer;
  const settled = await converge(world, opts.removed);
  const convergeMs = Math.round(performance.now() - start);
  return {
    index,
    operation: planned.operation,
    target: planned.target?.id ?? null,
    answer: answered,
    fault,
    hit,
    restarted,
    converged: settled.converged,
    convergeMs,
    violations: settled.violations,
    logTails: settled.converged && convergeMs < SLOW_TRIAL_MS ? '' : logTails(world),
  };
}
