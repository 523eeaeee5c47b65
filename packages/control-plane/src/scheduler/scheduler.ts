// The scheduler's thin shell: it reads an unlocked snapshot of the schedulable hosts, asks
// rankPlacements for an order, and reserves on the first host that still has room with one guarded
// statement, so placements on other hosts, replicas or users never wait for each other. The create
// path calls the same SQL function from its own (rexec_create_container); releasing reservations
// is lifecycle's.
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import { selectRows } from '../db/rows.js';
import type { HostRow } from '../db/schema/hosts.js';
import { NO_PLACEMENT_METRICS, type PlacementRecorder } from '../metrics/recorders.js';
import { overcommitPercent } from './cpu-overcommit.js';
import {
  rankPlacements,
  type PlacementHost,
  type PlacementRequest,
  type PlacementStrategy,
} from './placement.js';

export interface Scheduler {
  /** REXEC_CPU_OVERCOMMIT as the whole percent the placement functions take (400 = 4×). */
  readonly cpuOvercommitPercent: number;
  /** Reserves room on a host inside `tx` and returns its id, or null when no host has room. */
  place(tx: Tx, request: PlacementRequest): Promise<string | null>;
  /** The hosts worth trying for `request`, best first, by this scheduler's strategy. */
  rank(request: Pick<PlacementRequest, 'resources'>, hosts: readonly PlacementHost[]): string[];
  /** Where the create path reports each placement's outcome and time (metrics). */
  readonly placements: PlacementRecorder;
}

export interface SchedulerOptions {
  strategy: PlacementStrategy;
  /** How many times its CPU capacity a host may reserve (REXEC_CPU_OVERCOMMIT, ≥ 1). */
  cpuOvercommit: number;
  /** Placement outcomes and times for metrics; none recorded when absent. */
  placements?: PlacementRecorder;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const percent = overcommitPercent(options.cpuOvercommit);
  return {
    cpuOvercommitPercent: percent,
    placements: options.placements ?? NO_PLACEMENT_METRICS,
    rank: (request, hosts) => rankPlacements(request, hosts, options.strategy, percent),
    place: async (tx, request) => {
      const hosts = await loadSnapshot(tx);
      const candidates = rankPlacements(request, hosts, options.strategy, percent);
      if (candidates.length === 0) return null;
      // First pass: hosts another transaction is reserving on right now are skipped, so concurrent
      // creates fan out over the next-best hosts instead of queueing on one row. Only when every
      // candidate was locked or full does the second pass wait for the locks and look again.
      return (
        (await reserveFirst(tx, candidates, request, 'skip-locked', percent)) ??
        (await reserveFirst(tx, candidates, request, 'wait', percent))
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
  isolated: boolean;
}

// Only the columns placement reads, raw: mapping every host's full row per create was the largest
// single CPU cost of a placement. The snapshot may be stale; reserveFirst re-checks everything but
// storage_low (a host that ran low meanwhile refuses the create itself: its agent checks too).
const SNAPSHOT: PreparedStatement = {
  name: 'rexec_schedulable_hosts',
  text: `select id, status, scheduling,
      capacity_cpu_millicores, capacity_memory_mb, capacity_disk_mb,
      reserved_cpu_millicores, reserved_memory_mb, reserved_disk_mb,
      (trusted or coalesce((enforcement->>'network_isolation')::boolean, false)) as isolated
    from hosts where status = 'online' and scheduling = 'active' and not storage_low`,
};

export async function loadSnapshot(db: Db): Promise<PlacementHost[]> {
  const rows = await queryPrepared<SnapshotRow>(db, SNAPSHOT, []);
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
    isolated: row.isolated,
  }));
}

export interface SharedSnapshot {
  hosts: PlacementHost[];
  /**
   * True when this caller joined a read that was already under way, which may have been taken
   * before the caller's request arrived: a caller that finds no room on it must look again on a
   * fresh one before it answers no_capacity.
   */
  joined: boolean;
}

const snapshotsUnderWay = new WeakMap<Db, Promise<PlacementHost[]>>();

/**
 * loadSnapshot, shared by every create that asks while a read is under way. Under load dozens of
 * creates are in flight and each read returns every schedulable host, whose decoding was the
 * largest cost left per placement; sharing one is as stale as the read itself, no more.
 */
export async function sharedSnapshot(db: Db): Promise<SharedSnapshot> {
  const underWay = snapshotsUnderWay.get(db);
  if (underWay !== undefined) return { hosts: await underWay, joined: true };
  const read = loadSnapshot(db);
  snapshotsUnderWay.set(db, read);
  try {
    return { hosts: await read, joined: false };
  } finally {
    if (snapshotsUnderWay.get(db) === read) snapshotsUnderWay.delete(db);
  }
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
    isolated: isIsolated(row),
  };
}

/** Whether the scheduler may place containers on the host: isolation reported, or trusted. */
export function isIsolated(row: Pick<HostRow, 'trusted' | 'enforcement'>): boolean {
  return row.trusted || row.enforcement?.network_isolation === true;
}

export type LockPolicy = 'skip-locked' | 'wait';

/**
 * Adds the reservation to the first of `candidates` (in their order) that is still online, active
 * and has room (CPU up to `cpuOvercommitPercent` of capacity), in one statement
 * (rexec_reserve_host, migration 0010, the same function every create calls); null when none does. The row lock it takes makes Postgres re-check the guards
 * against the latest committed reservation, so two placements can never both fit into the same
 * remaining room, whichever replica they run on.
 */
export async function reserveFirst(
  tx: Tx,
  candidates: readonly string[],
  request: PlacementRequest,
  locked: LockPolicy,
  cpuOvercommitPercent: number,
): Promise<string | null> {
  const { cpuMillicores, memoryMb, diskMb } = request.resources;
  const rows = await selectRows<{ id: string | null }>(
    tx,
    sql`select rexec_reserve_host(${sql.param([...candidates])}::text[], ${cpuMillicores}::int,
          ${memoryMb}::int, ${diskMb}::int, ${locked === 'skip-locked'}::boolean,
          ${cpuOvercommitPercent}::int) as id`,
  );
  return rows[0]?.id ?? null;
}
