// The scheduler's thin shell: it reads an unlocked snapshot of the schedulable hosts, asks
// rankPlacements for an order, and reserves on the first host that still has room with one guarded
// statement, so placements on other hosts, replicas or users never wait for each other. The create
// path embeds that statement in its own (reservationCte); releasing reservations is lifecycle's.
import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/open.js';
import { selectRows } from '../db/rows.js';
import type { HostRow } from '../db/schema/hosts.js';
import {
  rankPlacements,
  type PlacementHost,
  type PlacementRequest,
  type PlacementStrategy,
  type Resources,
} from './placement.js';

export interface Scheduler {
  /** Reserves room on a host inside `tx` and returns its id, or null when no host has room. */
  place(tx: Tx, request: PlacementRequest): Promise<string | null>;
  /** The hosts worth trying for `request`, best first, by this scheduler's strategy. */
  rank(request: Pick<PlacementRequest, 'resources'>, hosts: readonly PlacementHost[]): string[];
}

export interface SchedulerOptions {
  strategy: PlacementStrategy;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  return {
    rank: (request, hosts) => rankPlacements(request, hosts, options.strategy),
    place: async (tx, request) => {
      const candidates = rankPlacements(request, await loadSnapshot(tx), options.strategy);
      if (candidates.length === 0) return null;
      // First pass: hosts another transaction is reserving on right now are skipped, so concurrent
      // creates fan out over the next-best hosts instead of queueing on one row. Only when every
      // candidate was locked or full does the second pass wait for the locks and look again.
      return (
        (await reserveFirst(tx, candidates, request, 'skip-locked')) ??
        (await reserveFirst(tx, candidates, request, 'wait'))
      );
    },
  };
}

interface SnapshotRow extends Record<string, unknown> {
  id: string;
  status: HostRow['status'];
  scheduling: HostRow['scheduling'];
  capacity_cpu_millicores: number;
  capacity_memory_mb: number;
  capacity_disk_mb: number;
  reserved_cpu_millicores: number;
  reserved_memory_mb: number;
  reserved_disk_mb: number;
}

// Only the columns placement reads, raw: mapping every host's full row per create was the largest
// single CPU cost of a placement. The snapshot may be stale; reserveFirst re-checks everything.
export async function loadSnapshot(db: Db): Promise<PlacementHost[]> {
  const rows = await selectRows<SnapshotRow>(
    db,
    sql`select id, status, scheduling,
          capacity_cpu_millicores, capacity_memory_mb, capacity_disk_mb,
          reserved_cpu_millicores, reserved_memory_mb, reserved_disk_mb
        from hosts where status = 'online' and scheduling = 'active'`,
  );
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    scheduling: row.scheduling,
    capacity: {
      cpuMillicores: row.capacity_cpu_millicores,
      memoryMb: row.capacity_memory_mb,
      diskMb: row.capacity_disk_mb,
    },
    reserved: {
      cpuMillicores: row.reserved_cpu_millicores,
      memoryMb: row.reserved_memory_mb,
      diskMb: row.reserved_disk_mb,
    },
  }));
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

export type LockPolicy = 'skip-locked' | 'wait';

/**
 * Adds the reservation to the first of `candidates` (in their order) that is still online, active
 * and has room, in one statement; null when none does. The row lock taken by `for update` makes
 * Postgres re-check the guards against the latest committed reservation, so two placements can
 * never both fit into the same remaining room, whichever replica they run on.
 */
export async function reserveFirst(
  tx: Tx,
  candidates: readonly string[],
  request: PlacementRequest,
  locked: LockPolicy,
): Promise<string | null> {
  const rows = await selectRows<{ id: string }>(
    tx,
    sql`with ${reservationCte(candidates, request.resources, locked)} select id from reserved`,
  );
  return rows[0]?.id ?? null;
}

/**
 * Two CTEs, `pick` and `reserved` (whose one row, if any, has the host's `id`), for callers that
 * place and write in the same statement. No host is touched unless `gate` (a boolean SQL
 * expression, e.g. a quota check) holds.
 */
export function reservationCte(
  candidates: readonly string[],
  resources: Resources,
  locked: LockPolicy,
  gate: SQL = sql`true`,
): SQL {
  const { cpuMillicores, memoryMb, diskMb } = resources;
  const ids = sql`${sql.param([...candidates])}::text[]`;
  return sql`pick as (
      select h.id from hosts h
      join unnest(${ids}) with ordinality as c(id, rank) on c.id = h.id
      where (${gate}) and h.status = 'online' and h.scheduling = 'active'
        and h.reserved_cpu_millicores + ${cpuMillicores} <= h.capacity_cpu_millicores
        and h.reserved_memory_mb + ${memoryMb} <= h.capacity_memory_mb
        and h.reserved_disk_mb + ${diskMb} <= h.capacity_disk_mb
      order by c.rank
      limit 1
      for update of h${locked === 'skip-locked' ? sql` skip locked` : sql``}
    ),
    reserved as (
      update hosts set
        reserved_cpu_millicores = reserved_cpu_millicores + ${cpuMillicores},
        reserved_memory_mb = reserved_memory_mb + ${memoryMb},
        reserved_disk_mb = reserved_disk_mb + ${diskMb}
      from pick
      where hosts.id = pick.id
        and hosts.reserved_cpu_millicores + ${cpuMillicores} <= hosts.capacity_cpu_millicores
        and hosts.reserved_memory_mb + ${memoryMb} <= hosts.capacity_memory_mb
        and hosts.reserved_disk_mb + ${diskMb} <= hosts.capacity_disk_mb
      returning hosts.id
    )`;
}
