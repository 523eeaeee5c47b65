// The pure core of scheduling: given a container's reservation and a snapshot of hosts, pick the
// host it goes to (binpack or spread), or none. Loading hosts and taking the reservation is
// placer.ts's job; this file does no I/O so the rules can be tested as tables. Capacity is what
// the agent reports; CPU counts up to the overcommit's multiple of it (cpu-overcommit.ts).
import type { HostScheduling, HostStatus } from '../db/schema/hosts.js';
import { schedulableOf } from './cpu-overcommit.js';
import type { Resources } from './resources.js';

export type PlacementStrategy = 'binpack' | 'spread';

export const PLACEMENT_STRATEGIES: readonly PlacementStrategy[] = ['binpack', 'spread'];

export type { Resources } from './resources.js';

export interface PlacementRequest {
  /** What the container reserves on its host; network is shaped per container, not reserved. */
  resources: Resources;
}

export interface PlacementHost {
  id: string;
  status: HostStatus;
  scheduling: HostScheduling;
  capacity: Resources;
  reserved: Resources;
  /**
   * The agent reports network isolation (the host guard is in place), or an admin trusts the host
   * anyway. Fail closed: a host without either never gets a container.
   */
  isolated: boolean;
}

const DIMENSIONS = ['cpuMillicores', 'memoryMb', 'diskMb'] as const;

/** Whole percent of CPU capacity a host may reserve when the caller does not say: no overcommit. */
const NO_OVERCOMMIT = 100;

/** True when the host is connected, accepts new work, keeps tenants in and has room for `resources`. */
export function isEligible(
  host: PlacementHost,
  resources: Resources,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): boolean {
  if (host.status !== 'online' || host.scheduling !== 'active' || !host.isolated) return false;
  const room = schedulableOf(host.capacity, cpuOvercommitPercent);
  return DIMENSIONS.every((d) => host.reserved[d] + resources[d] <= room[d]);
}

/**
 * The fraction of the host left free after placing `resources`, averaged over cpu, memory and
 * disk. Binpack prefers the lowest (fill hosts up), spread the highest (keep load even).
 */
function freeAfter(host: PlacementHost, resources: Resources, room: Resources): number {
  let sum = 0;
  for (const d of DIMENSIONS) {
    const capacity = room[d];
    sum += capacity === 0 ? 0 : (capacity - host.reserved[d] - resources[d]) / capacity;
  }
  return sum / DIMENSIONS.length;
}

/** An eligible host and its score for a request: lower is better for either strategy. */
export interface ScoredHost {
  id: string;
  score: number;
}

/**
 * Every eligible host with its score, best first: the order in which the scheduler tries to
 * reserve, so a host taken by a concurrent placement costs a step down the list instead of a fresh
 * decision. Ties go to the smaller id.
 */
export function scorePlacements(
  request: PlacementRequest,
  hosts: readonly PlacementHost[],
  strategy: PlacementStrategy,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): ScoredHost[] {
  const scored: ScoredHost[] = [];
  for (const host of hosts) {
    if (!isEligible(host, request.resources, cpuOvercommitPercent)) continue;
    const room = schedulableOf(host.capacity, cpuOvercommitPercent);
    const free = freeAfter(host, request.resources, room);
    scored.push({ id: host.id, score: strategy === 'binpack' ? free : -free });
  }
  scored.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored;
}

/** scorePlacements' ids alone. */
export function rankPlacements(
  request: PlacementRequest,
  hosts: readonly PlacementHost[],
  strategy: PlacementStrategy,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): string[] {
  return scorePlacements(request, hosts, strategy, cpuOvercommitPercent).map((entry) => entry.id);
}

/**
 * How much worse a host may score than the best (the mean fraction of a host left free, 0–1) and
 * still go first under spread because this replica holds its agent's socket (preferHeld).
 */
export const HELD_SLACK = 0.05;

/**
 * How far behind the best a host this replica holds may be and still go first: under spread,
 * HELD_SLACK (a host 5 points emptier is as good a choice); under binpack, any distance, so each
 * replica fills the hosts it holds (at most one partly filled host per replica, instead of one in
 * all, is what binpack gives up).
 */
export function heldSlack(strategy: PlacementStrategy): number {
  return strategy === 'binpack' ? Infinity : HELD_SLACK;
}

/**
 * `ranked` (best first) with the hosts `held` says this replica holds moved ahead of the others
 * that score within `slack` of the best, each group in its order; the rest stays as it was. With
 * several replicas a create sent to a held host goes straight down this replica's socket, where
 * one for a host another replica holds crosses the command relay (Postgres) both ways.
 */
export function preferHeld(
  ranked: readonly ScoredHost[],
  held: (hostId: string) => boolean,
  slack = HELD_SLACK,
): string[] {
  const first = ranked[0];
  if (first === undefined) return [];
  let near = 0;
  while (near < ranked.length && (ranked[near]?.score ?? Infinity) - first.score <= slack) near++;
  const mine: string[] = [];
  const others: string[] = [];
  for (let i = 0; i < near; i++) {
    const id = (ranked[i] as ScoredHost).id;
    (held(id) ? mine : others).push(id);
  }
  for (let i = near; i < ranked.length; i++) others.push((ranked[i] as ScoredHost).id);
  return mine.length === 0 ? others : [...mine, ...others];
}

/** The id of the best host, or null when no host is eligible. Ties go to the smaller id. */
export function choosePlacement(
  request: PlacementRequest,
  hosts: readonly PlacementHost[],
  strategy: PlacementStrategy,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): string | null {
  return rankPlacements(request, hosts, strategy, cpuOvercommitPercent)[0] ?? null;
}
