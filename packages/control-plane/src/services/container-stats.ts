// Reading a container's latest stats (GET /containers/:id/stats): the owner's container by id or
// name, or any live container by id for an admin, with its container_stats row. Whether a sample
// still counts (the container running, sampled since it last started) is decided by the mapper.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containerStats, type ContainerStatsRow } from '../db/schema/container-stats.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import { notFound } from '../errors.js';
import { isId } from '../ids.js';
import { getContainer } from './container-queries.js';

export interface ContainerWithStats {
  container: ContainerRow;
  /** Null when no sample of this container ever arrived. */
  stats: ContainerStatsRow | null;
}

async function adminContainer(db: Db, idOrName: string, userId: string): Promise<ContainerRow> {
  // Names are unique per user only: an admin reaches another user's container by its id.
  if (!isId('ctr', idOrName)) return getContainer(db, userId, idOrName);
  const [row] = await db
    .select()
    .from(containers)
    .where(and(eq(containers.id, idOrName), isNull(containers.deletedAt)));
  if (row === undefined) throw notFound('Container', idOrName);
  return row;
}

/** @throws RexecError not_found for a container that is not the caller's (unless admin). */
export async function getContainerWithStats(
  db: Db,
  caller: { id: string; isAdmin: boolean },
  idOrName: string,
): Promise<ContainerWithStats> {
  const container = caller.isAdmin
    ? await adminContainer(db, idOrName, caller.id)
    : await getContainer(db, caller.id, idOrName);
  const [stats] = await db
    .select()
    .from(containerStats)
    .where(eq(containerStats.containerId, container.id));
  return { container, stats: stats ?? null };
}
