// An admin's trust in a host (issue 16, fail closed): a host whose agent cannot install the host
// guard reports network_isolation false and gets no containers unless an admin trusts it here.
// Setting it records an event; what the scheduler makes of it is scheduler/snapshot.ts's (isIsolated).
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { hosts, type HostRow } from '../db/schema/hosts.js';
import { notFound } from '../errors.js';
import { recordEvent } from './events.js';
import { getHost } from './hosts.js';

/** Idempotent: the same value again changes nothing and records nothing. @throws not_found. */
export async function setTrusted(
  db: Db,
  id: string,
  trusted: boolean,
  actorUserId: string | null = null,
): Promise<HostRow> {
  const current = await getHost(db, id);
  if (current.trusted === trusted) return current;
  return db.transaction(async (tx) => {
    const [row] = await tx.update(hosts).set({ trusted }).where(eq(hosts.id, id)).returning();
    if (row === undefined) throw notFound('Host', id);
    await recordEvent(tx, {
      type: trusted ? 'host.trusted' : 'host.untrusted',
      actorUserId,
      hostId: id,
      detail: { network_isolation: row.enforcement?.network_isolation === true },
    });
    return row;
  });
}
