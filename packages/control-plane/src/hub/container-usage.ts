// Per-container usage from AGENT_HEARTBEAT onto the containers rows: the disk each one uses, as the
// host's agent measured it, in one statement per heartbeat. Only that host's live containers are
// written; ids it does not own are dropped by the join, never trusted. Enforcing the limit is the
// agent's (it stops an offender and reports it); showing usage is the API's.
import type { ContainerUsage } from '@rexec/protocol';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';

/** disk_used_mb is int4; an agent may report up to 2^40 MB, which is clamped rather than refused. */
const MAX_INT4 = 2_147_483_647;

/** The measured disk per container id, last mention winning; empty when nothing was measured. */
export function measuredDisk(usage: readonly ContainerUsage[] | undefined): Map<string, number> {
  const measured = new Map<string, number>();
  for (const entry of usage ?? []) {
    if (entry.disk_mb !== undefined) {
      measured.set(entry.container_id, Math.min(entry.disk_mb, MAX_INT4));
    }
  }
  return measured;
}

/**
 * Writes the measurements in `measured` to the rows of `hostId`'s live containers, stamped with the
 * database's clock (the heartbeat carries none). One round trip whatever the count: the rows come
 * as one jsonb parameter, which both drivers pass the same way.
 */
export async function recordContainerUsage(
  db: Db,
  hostId: string,
  measured: ReadonlyMap<string, number>,
): Promise<void> {
  if (measured.size === 0) return;
  const rows = JSON.stringify([...measured].map(([id, diskMb]) => ({ id, disk_mb: diskMb })));
  await db.execute(
    sql`update containers as c
        set disk_used_mb = u.disk_mb, usage_measured_at = now()
        from jsonb_to_recordset(${rows}::jsonb) as u(id text, disk_mb int)
        where c.id = u.id and c.host_id = ${hostId} and c.deleted_at is null`,
  );
}
