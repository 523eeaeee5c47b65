// The scheduler's thin shell: inside the caller's transaction it locks the schedulable hosts, asks
// choosePlacement for one, and takes the reservation with a guarded UPDATE so no two replicas can
// double-book a host. Releasing reservations (stop/delete/host lost) belongs to later issues.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/open.js';
import { hosts, type HostRow } from '../db/schema/hosts.js';
import {
  choosePlacement,
  type PlacementHost,
  type PlacementRequest,
  type PlacementStrategy,
} from './placement.js';

export interface Scheduler {
  /** Reserves room on a host inside `tx` and returns its id, or null when no host has room. */
  place(tx: Tx, request: PlacementRequest): Promise<string | null>;
}

export interface SchedulerOptions {
  strategy: PlacementStrategy;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  return {
    place: async (tx, request) => {
      // Locked in id order so concurrent placements on several replicas cannot deadlock.
      const rows = await tx
        .select()
        .from(hosts)
        .where(and(eq(hosts.status, 'online'), eq(hosts.scheduling, 'active')))
        .orderBy(asc(hosts.id))
        .for('update');
      const hostId = choosePlacement(request, rows.map(toPlacementHost), options.strategy);
      if (hostId === null) return null;
      return (await reserve(tx, hostId, request)) ? hostId : null;
    },
  };
}

export function toPlacementHost(row: HostRow): PlacementHost {
  return {
    id: row.id,
    status: row.status,
    scheduling: row.scheduling,
    capacity: {
      cpuMillicores: row.capacityCpuMillicores,
      memoryMb: row.capacityMemoryMb,
      diskMb: row.capacityDiskMb,
    },
    reserved: {
      cpuMillicores: row.reservedCpuMillicores,
      memoryMb: row.reservedMemoryMb,
      diskMb: row.reservedDiskMb,
    },
  };
}

/** Adds the reservation only if it still fits; false when it no longer does. */
export async function reserve(tx: Tx, hostId: string, request: PlacementRequest): Promise<boolean> {
  const { cpuMillicores, memoryMb, diskMb } = request.resources;
  const updated = await tx
    .update(hosts)
    .set({
      reservedCpuMillicores: sql`${hosts.reservedCpuMillicores} + ${cpuMillicores}`,
      reservedMemoryMb: sql`${hosts.reservedMemoryMb} + ${memoryMb}`,
      reservedDiskMb: sql`${hosts.reservedDiskMb} + ${diskMb}`,
    })
    .where(
      and(
        eq(hosts.id, hostId),
        sql`${hosts.reservedCpuMillicores} + ${cpuMillicores} <= ${hosts.capacityCpuMillicores}`,
        sql`${hosts.reservedMemoryMb} + ${memoryMb} <= ${hosts.capacityMemoryMb}`,
        sql`${hosts.reservedDiskMb} + ${diskMb} <= ${hosts.capacityDiskMb}`,
      ),
    )
    .returning({ id: hosts.id });
  return updated.length === 1;
}
