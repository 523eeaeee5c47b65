// Appends rows to the events table. Callers pass their transaction so an event is written if and
// only if the change it describes is committed. Reading events back is event-reads.ts's; the API's
// audit log of calls is audit-log.ts's.
import type { EventType } from '@rexec/protocol';
import type { Db } from '../db/open.js';
import { events } from '../db/schema/events.js';

export interface EventInput {
  /** Dotted, past tense, one of the documented EVENT_TYPES (`container.created`, `host.cordoned`…). */
  type: EventType;
  actorUserId?: string | null;
  containerId?: string | null;
  hostId?: string | null;
  /** Why it happened, as on the wire (`user`, `session_expired`, `host_lost`…). */
  reason?: string | null;
  detail?: Record<string, unknown> | null;
}

/** `db` may be a transaction (Tx is a Db). */
export async function recordEvent(db: Db, event: EventInput): Promise<void> {
  await db.insert(events).values({
    type: event.type,
    actorUserId: event.actorUserId ?? null,
    containerId: event.containerId ?? null,
    hostId: event.hostId ?? null,
    reason: event.reason ?? null,
    detail: event.detail ?? null,
  });
}
