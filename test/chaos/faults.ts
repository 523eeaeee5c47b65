// The faults a chaos trial injects and how long each lasts: kill -9 of an agent or of the control
// plane, Postgres stopped and restarted, an engine container killed or removed from outside, the
// link between an agent and the control plane cut. A plan is drawn from the seeded generator
// alone, so a seed replays it; carrying it out against the world is injectFault's job.
import type { EngineKind } from '../helpers/engine.js';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';
import { engine } from '../helpers/engine.js';
import type { Random } from './seeded-random.js';
import type { ChaosHost, World } from './world.js';

export const FAULT_KINDS = [
  'kill_agent',
  'kill_control_plane',
  'database_outage',
  'engine_kill',
  'engine_remove',
  'network_cut',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const OPERATIONS = ['create', 'start', 'stop', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** How long faults last: the benchmark's full outages, or short ones that fit a CI run. */
export interface FaultProfile {
  name: 'ci' | 'full';
  /** The fault lands this long after the operation is sent (a random point of it). */
  delayMs: [number, number];
  databaseOutageMs: [number, number];
  networkCutMs: [number, number];
  /** How long a killed process stays dead before it is restarted. */
  deadMs: [number, number];
  /**
   * How long the operation's answer is awaited before the convergence wait starts (a start sent
   * to a killed agent waits for it); the row it wrote is checked either way.
   */
  answerWaitMs: number;
}

export const PROFILES: Record<FaultProfile['name'], FaultProfile> = {
  ci: {
    name: 'ci',
    delayMs: [0, 1500],
    databaseOutageMs: [1000, 4000],
    networkCutMs: [1000, 4000],
    deadMs: [0, 1000],
    answerWaitMs: 10_000,
  },
  full: {
    name: 'full',
    delayMs: [0, 3000],
    databaseOutageMs: [5000, 30_000],
    networkCutMs: [2000, 20_000],
    deadMs: [0, 3000],
    answerWaitMs: 30_000,
  },
};

export interface FaultPlan {
  kind: FaultKind;
  delayMs: number;
  /** How long the fault lasts before recovery (0 for engine faults, which have no recovery). */
  durationMs: number;
  /** Which host it hits (agent kill, link cut; engine faults pick among its containers). */
  hostIndex: number;
  /** Draw for picking the engine container to hit, taken now so the plan is fixed by the seed. */
  targetDraw: number;
}

export function planFault(
  random: Random,
  kinds: readonly FaultKind[],
  profile: FaultProfile,
  hostCount: number,
): FaultPlan {
  const kind = random.pick(kinds);
  const delayMs = random.int(...profile.delayMs);
  const durationMs =
    kind === 'database_outage'
      ? random.int(...profile.databaseOutageMs)
      : kind === 'network_cut'
        ? random.int(...profile.networkCutMs)
        : kind === 'kill_agent' || kind === 'kill_control_plane'
          ? random.int(...profile.deadMs)
          : 0;
  return {
    kind,
    delayMs,
    durationMs,
    hostIndex: random.int(0, hostCount - 1),
    targetDraw: random.next(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The engine containers of a host, by Rexec id (what an outsider would see with `ps`). */
async function hostContainers(kind: EngineKind, host: ChaosHost): Promise<string[]> {
  const listed = await engine(kind, [
    'ps',
    '-a',
    '--filter',
    `label=io.rexec.host-id=${host.hostId}`,
    '--format',
    '{{.Names}}',
  ]);
  return listed.stdout
    .split('\n')
    .filter((name) => name.startsWith('rexec-'))
    .sort();
}

/**
 * Carries out the fault and, for the ones with a duration, waits it out; bringing back what is
 * down is World.recover()'s. Returns the Rexec id an engine fault hit (null when the host had
 * no container to hit).
 */
export async function injectFault(world: World, plan: FaultPlan): Promise<string | null> {
  const host = world.hosts[plan.hostIndex];
  if (host === undefined) throw new Error(`no host ${plan.hostIndex}`);
  switch (plan.kind) {
    case 'kill_agent':
      await world.killAgent(host);
      await sleep(plan.durationMs);
      return null;
    case 'kill_control_plane':
      await world.killControlPlane();
      await sleep(plan.durationMs);
      return null;
    case 'database_outage':
      await world.stopDatabase();
      await sleep(plan.durationMs);
      await world.startDatabase();
      return null;
    case 'network_cut':
      host.proxy.cut();
      await sleep(plan.durationMs);
      host.proxy.restore();
      return null;
    case 'engine_kill':
    case 'engine_remove': {
      const names = await hostContainers(world.kind, host);
      if (names.length === 0) return null;
      const name = names[Math.floor(plan.targetDraw * names.length)] ?? names[0] ?? '';
      const args = plan.kind === 'engine_kill' ? ['kill', name] : ['rm', '--force', name];
      // It may have stopped or gone by itself meanwhile: an outsider's command failing is no fault.
      // podman 4.3's EBUSY right after a container exited is tried again, as the agent does.
      await retryWhileBusy(() => engine(world.kind, args)).catch(() => undefined);
      return name.slice('rexec-'.length);
    }
  }
}
