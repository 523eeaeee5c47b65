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
  containerId: string;
  userId: string;
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

/**
 * Every eligible host's id, best first: the order in which the scheduler tries to reserve, so a
 * host taken by a concurrent placement costs a step down the list instead of a fresh decision.
 * Ties go to the smaller id.
 */
export function rankPlacements(
  request: Pick<PlacementRequest, 'resources'>,
  hosts: readonly PlacementHost[],
  strategy: PlacementStrategy,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): string[] {
  const scored: { id: string; score: number }[] = [];
  for (const host of hosts) {
    if (!isEligible(host, request.resources, cpuOvercommitPercent)) continue;
    const room = schedulableOf(host.capacity, cpuOvercommitPercent);
    const free = freeAfter(host, request.resources, room);
    scored.push({ id: host.id, score: strategy === 'binpack' ? free : -free });
  }
  scored.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.map((entry) => entry.id);
}

/** The id of the best host, or null when no host is eligible. Ties go to the smaller id. */
export function choosePlacement(
  request: Pick<PlacementRequest, 'resources'>,
  hosts: readonly PlacementHost[],
  strategy: PlacementStrategy,
  cpuOvercommitPercent = NO_OVERCOMMIT,
): string | null {
  return rankPlacements(request, hosts, strategy, cpuOvercommitPercent)[0] ?? null;
}
