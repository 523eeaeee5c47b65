// What the scheduler knows of the fleet: an unlocked read of the schedulable hosts (only the
// columns placement reads), and a host row as placement sees it. The statement that reserves
// re-checks every guard, so a snapshot only orders the candidates; placer.ts shares it between the
// creates in flight.
import type { Db } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import type { HostRow } from '../db/schema/hosts.js';
import type { PlacementHost } from './placement.js';

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
// single CPU cost of a placement. The snapshot may be stale; the create statement re-checks
// everything but storage_low (a host that ran low meanwhile refuses the create itself: its agent
// checks too).
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
function isIsolated(row: Pick<HostRow, 'trusted' | 'enforcement'>): boolean {
  return row.trusted || row.enforcement?.network_isolation === true;
}
