// Events API bodies (DESIGN §8.3): the one table of event types, the event object, the list page
// and the query both `GET /events` and `GET /events/stream` accept. Which events a caller may see
// and how the cursor stays stable under concurrent writers is the control plane's.
import { z } from 'zod';
import { ContainerId, HostId, Timestamp, UserId } from './common.js';

/**
 * Every event type the control plane writes, dotted and past tense. The README's table documents
 * each one; code that records an event must use a type from here.
 */
export const EVENT_TYPES = [
  'container.created',
  'container.running',
  'container.stopped',
  'container.error',
  'container.deleting',
  'container.deleted',
  'container.quarantined',
  'container.disk_quota_exceeded',
  'container.disk_unmeasurable',
  'host.enrolled',
  'host.approved',
  'host.online',
  'host.unreachable',
  'host.cordoned',
  'host.uncordoned',
  'host.draining',
  'host.pending',
  'host.healthy',
  'host.unhealthy',
  'host.capacity_capped',
  'host.trusted',
  'host.untrusted',
  'host.credential_revoked',
  'host.join_token_created',
  'host.join_token_revoked',
  'host.lost',
  'host.returned',
  'host.removed',
  'user.created',
  'user.tier_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'token.created',
  'token.revoked',
  'webhook.test',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

/** Event ids are decimal strings: they are 64-bit and ordered, never to be parsed as floats. */
export const EventId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'an event id');
export type EventId = z.infer<typeof EventId>;

export const Event = z.object({
  id: EventId,
  type: EventType,
  at: Timestamp,
  container_id: ContainerId.optional(),
  host_id: HostId.optional(),
  /** A container event's owner; for other events the user who acted. */
  user_id: UserId.optional(),
  /** `reason` (why), `actor_user_id` (who, when not the owner) and the type's own details. */
  data: z.record(z.string(), z.unknown()),
});
export type Event = z.infer<typeof Event>;

export const EventList = z.object({
  events: z.array(Event),
  /** Pass back as `cursor` for the events after this page; absent only before any event exists. */
  next_cursor: EventId.nullable(),
});
export type EventList = z.infer<typeof EventList>;

/** A `type` filter entry: an exact type or a group prefix such as `container.*`. */
export const EventTypeFilter = z
  .string()
  .max(4096)
  .transform((value) => value.split(',').filter((part) => part !== ''))
  .pipe(
    z
      .array(
        z
          .string()
          .refine(
            (part) =>
              (EVENT_TYPES as readonly string[]).includes(part) ||
              EVENT_TYPES.some((type) => part.endsWith('.*') && type.startsWith(part.slice(0, -1))),
            'an event type or a prefix such as container.*',
          ),
      )
      .max(64),
  );

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;

/** Query string of `GET /events` and `GET /events/stream`. */
export const EventQuery = z.strictObject({
  cursor: EventId.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_EVENT_PAGE).default(DEFAULT_EVENT_PAGE),
  type: EventTypeFilter.optional(),
  container_id: ContainerId.optional(),
  /** Admins only: every user's and every host's events. */
  all: z.enum(['true', 'false']).optional(),
});
export type EventQuery = z.infer<typeof EventQuery>;
