// Why no host took a container, as a pure function of (request, hosts): nothing online, nothing
// schedulable, or which resource no host has room for, and the largest request that would fit
// now. The shell loads every host and turns the answer into the no_capacity error's details; the
// answer is advice read after the failed placement, not part of the placement's guarantees.
import { schedulableOf } from './cpu-overcommit.js';
import type { PlacementHost, Resources } from './placement.js';

export type NoCapacityReason = 'no_host_online' | 'no_host_schedulable' | 'no_host_with_room';

export const RESOURCE_WIRE_NAMES = {
  cpuMillicores: 'cpu_millicores',
  memoryMb: 'memory_mb',
  diskMb: 'disk_mb',
} as const;

export interface NoCapacityDiagnosis {
  reason: NoCapacityReason;
  hostsOnline: number;
  /** Online hosts that take new containers (not cordoned or draining, isolated or trusted). */
  hostsSchedulable: number;
  /** Resources no single schedulable host has room for on its own, in wire order. */
  short: (keyof Resources)[];
  /** The most of each short resource free on one host, beside `short`. */
  mostFree: Partial<Resources>;
  /** The largest request (within `ceiling`) that one host could take now; null when none. */
  largestFit: Resources | null;
}

const DIMENSIONS = ['cpuMillicores', 'memoryMb', 'diskMb'] as const;

function freeOn(host: PlacementHost, cpuOvercommitPercent: number): Resources {
  const room = schedulableOf(host.capacity, cpuOvercommitPercent);
  return {
    cpuMillicores: Math.max(0, room.cpuMillicores - host.reserved.cpuMillicores),
    memoryMb: Math.max(0, room.memoryMb - host.reserved.memoryMb),
    diskMb: Math.max(0, room.diskMb - host.reserved.diskMb),
  };
}

/**
 * `ceiling` is the caller's tier maxima, so the largest fit is a request the API would accept.
 * The largest fit comes from the host that comes closest to the request (the highest smallest
 * ratio of free room to what was asked), so it keeps the request's shape where it can.
 */
export function diagnoseNoCapacity(
  request: Resources,
  hosts: readonly PlacementHost[],
  cpuOvercommitPercent: number,
  ceiling: Resources,
): NoCapacityDiagnosis {
  const online = hosts.filter((host) => host.status === 'online');
  const schedulable = online.filter((host) => host.scheduling === 'active' && host.isolated);
  const free = schedulable.map((host) => freeOn(host, cpuOvercommitPercent));
  const short = DIMENSIONS.filter((d) => free.every((room) => room[d] < request[d]));
  const mostFree: Partial<Resources> = {};
  for (const d of short) mostFree[d] = Math.max(0, ...free.map((room) => room[d]));
  let best: Resources | null = null;
  let bestRatio = -1;
  for (const room of free) {
    const ratio = Math.min(...DIMENSIONS.map((d) => room[d] / Math.max(1, request[d])));
    if (ratio > bestRatio) {
      bestRatio = ratio;
      best = room;
    }
  }
  const largestFit =
    best === null || DIMENSIONS.some((d) => best[d] === 0)
      ? null
      : {
          cpuMillicores: Math.min(best.cpuMillicores, ceiling.cpuMillicores),
          memoryMb: Math.min(best.memoryMb, ceiling.memoryMb),
          diskMb: Math.min(best.diskMb, ceiling.diskMb),
        };
  const reason: NoCapacityReason =
    online.length === 0
      ? 'no_host_online'
      : schedulable.length === 0
        ? 'no_host_schedulable'
        : 'no_host_with_room';
  return {
    reason,
    hostsOnline: online.length,
    hostsSchedulable: schedulable.length,
    short,
    mostFree,
    largestFit,
  };
}
