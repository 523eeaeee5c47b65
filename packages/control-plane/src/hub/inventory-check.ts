// Whether a HELLO's inventory is believable: an agent lists every container labelled with its host
// id, so it can hold at most what the control plane placed there plus a few it does not know (left
// by a restore from a backup; those are quarantined). A far longer list is a confused or hostile
// agent, and each entry would cost reconciliation work and a quarantine row: refused.
import { and, count, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containers } from '../db/schema/containers.js';

/** Containers an inventory may list beyond those the database places on the host. */
export const INVENTORY_UNKNOWN_ALLOWANCE = 64;

export interface InventoryVerdict {
  ok: boolean;
  listed: number;
  /** The host's live containers in the database. */
  placed: number;
  allowed: number;
}

export async function checkInventorySize(
  db: Db,
  hostId: string,
  listed: number,
): Promise<InventoryVerdict> {
  // Cheap for any believable HELLO: only a long list costs the count.
  if (listed <= INVENTORY_UNKNOWN_ALLOWANCE) {
    return { ok: true, listed, placed: 0, allowed: INVENTORY_UNKNOWN_ALLOWANCE };
  }
  const [row] = await db
    .select({ n: count() })
    .from(containers)
    .where(and(eq(containers.hostId, hostId), isNull(containers.deletedAt)));
  const placed = row?.n ?? 0;
  const allowed = placed + INVENTORY_UNKNOWN_ALLOWANCE;
  return { ok: listed <= allowed, listed, placed, allowed };
}
