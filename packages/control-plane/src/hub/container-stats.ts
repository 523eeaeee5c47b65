// Per-container stats samples from AGENT_HEARTBEAT into container_stats: cpu, memory, pids and
// network as the host's agent last sampled them, in one statement per heartbeat. Only that host's
// live containers are written (the join drops the rest, never trusted). Disk usage is
// container-usage.ts's; answering GET /containers/:id/stats is services/container-stats.ts's.
import type { ContainerUsage } from '@rexec/protocol';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';

const MIB = 1024 * 1024;

export interface StatsSample {
  id: string;
  cpu_millicores: number | null;
  memory_bytes: number | null;
  memory_limit_bytes: number | null;
  pids: number | null;
  net_rx_bytes: number | null;
  net_tx_bytes: number | null;
}

function isSample(entry: ContainerUsage): boolean {
  return (
    entry.cpu_millicores !== undefined ||
    entry.memory_bytes !== undefined ||
    entry.memory_mb !== undefined ||
    entry.pids !== undefined ||
    entry.network_rx_bytes !== undefined ||
    entry.network_tx_bytes !== undefined
  );
}

/** The sampled entries per container id (last mention winning); disk-only entries are left out. */
export function sampledStats(usage: readonly ContainerUsage[] | undefined): StatsSample[] {
  const samples = new Map<string, StatsSample>();
  for (const entry of usage ?? []) {
    if (!isSample(entry)) continue;
    samples.set(entry.container_id, {
      id: entry.container_id,
      cpu_millicores: entry.cpu_millicores ?? null,
      // An agent that sends only the rounded figure still gives a usable one.
      memory_bytes:
        entry.memory_bytes ?? (entry.memory_mb === undefined ? null : entry.memory_mb * MIB),
      memory_limit_bytes: entry.memory_limit_bytes ?? null,
      pids: entry.pids ?? null,
      net_rx_bytes: entry.network_rx_bytes ?? null,
      net_tx_bytes: entry.network_tx_bytes ?? null,
    });
  }
  return [...samples.values()];
}

/**
 * Replaces the stats rows of `hostId`'s live containers named in `samples`, stamped with the
 * database's clock. One round trip whatever the count: the rows come as one jsonb parameter.
 */
export async function recordContainerStats(
  db: Db,
  hostId: string,
  samples: readonly StatsSample[],
): Promise<void> {
  if (samples.length === 0) return;
  const rows = JSON.stringify(samples);
  await db.execute(
    sql`insert into container_stats as s (container_id, cpu_millicores, memory_bytes,
          memory_limit_bytes, pids, net_rx_bytes, net_tx_bytes, sampled_at)
        select c.id, u.cpu_millicores, u.memory_bytes, u.memory_limit_bytes, u.pids,
          u.net_rx_bytes, u.net_tx_bytes, now()
        from jsonb_to_recordset(${rows}::jsonb) as u(id text, cpu_millicores int,
          memory_bytes bigint, memory_limit_bytes bigint, pids int, net_rx_bytes bigint,
          net_tx_bytes bigint)
        join containers as c on c.id = u.id and c.host_id = ${hostId} and c.deleted_at is null
        on conflict (container_id) do update set
          cpu_millicores = excluded.cpu_millicores, memory_bytes = excluded.memory_bytes,
          memory_limit_bytes = excluded.memory_limit_bytes, pids = excluded.pids,
          net_rx_bytes = excluded.net_rx_bytes, net_tx_bytes = excluded.net_tx_bytes,
          sampled_at = excluded.sampled_at`,
  );
}
