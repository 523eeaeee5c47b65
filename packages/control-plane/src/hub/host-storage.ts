// Free space in a host's engine storage, from AGENT_HEARTBEAT onto the hosts row: written when the
// agent's `low` flag changes (the scheduler's snapshot skips low hosts at once) and otherwise at
// most once per STORAGE_RECORD_EVERY_MS, so heartbeats do not become a write each. The threshold is
// the agent's (REXEC_MIN_FREE_DISK_MB); refusing creates on a low host is the agent's too.
import type { HostStorage } from '@rexec/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { hosts } from '../db/schema/hosts.js';

export const STORAGE_RECORD_EVERY_MS = 60_000;

/** What a session last wrote; null before its first write. */
export interface RecordedStorage {
  low: boolean;
  at: number;
}

export function storageRecordDue(
  recorded: RecordedStorage | null,
  storage: HostStorage,
  now: number,
): boolean {
  return (
    recorded === null ||
    recorded.low !== storage.low ||
    now - recorded.at >= STORAGE_RECORD_EVERY_MS
  );
}

export async function recordHostStorage(
  db: Db,
  hostId: string,
  storage: HostStorage,
): Promise<void> {
  await db
    .update(hosts)
    .set({ storageFreeMb: Math.min(storage.free_mb, 2_147_483_647), storageLow: storage.low })
    .where(eq(hosts.id, hostId));
}
