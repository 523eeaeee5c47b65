// Webhook REST bodies (DESIGN §8.3) and the signature scheme both SDKs verify. The secret appears
// only in WebhookCreated. Delivering and signing are the control plane's; verifying is the SDKs'.
import { z } from 'zod';
import { idSchema, Timestamp } from './common.js';

export const WebhookId = idSchema('whk');
export type WebhookId = z.infer<typeof WebhookId>;

/** Header names on every delivery. */
export const WEBHOOK_EVENT_ID_HEADER = 'Rexec-Event-Id';
export const WEBHOOK_TIMESTAMP_HEADER = 'Rexec-Timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'Rexec-Signature';
/** How old a delivery's timestamp may be before verifyWebhook refuses it (replay window). */
export const WEBHOOK_DEFAULT_TOLERANCE_SECONDS = 300;
/** Most webhooks one user may have. */
export const MAX_WEBHOOKS_PER_USER = 25;

/**
 * One subscription entry: an exact type (`container.stopped`), a prefix (`container` or
 * `container.*`, matching every `container.…` type) or `*` (everything the owner may see).
 */
export const WebhookEventFilter = z
  .string()
  .max(100)
  .regex(
    /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/,
    'must be an event type, a dotted prefix (optionally ending in .*), or *',
  );
export type WebhookEventFilter = z.infer<typeof WebhookEventFilter>;

export const WebhookCreate = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048),
  events: z
    .array(WebhookEventFilter)
    .min(1)
    .max(50)
    .refine((events) => new Set(events).size === events.length, 'events must not repeat'),
  description: z.string().trim().max(500).optional(),
});
export type WebhookCreate = z.infer<typeof WebhookCreate>;

export const Webhook = z.object({
  id: WebhookId,
  url: z.string().max(2048),
  events: z.array(z.string().max(100)),
  description: z.string().max(500).nullable(),
  created_at: Timestamp,
});
export type Webhook = z.infer<typeof Webhook>;

/** `secret` signs every delivery (HMAC-SHA256); shown only here. */
export const WebhookCreated = Webhook.extend({ secret: z.string().max(128) });
export type WebhookCreated = z.infer<typeof WebhookCreated>;

export const WebhookList = z.object({ webhooks: z.array(Webhook) });
export type WebhookList = z.infer<typeof WebhookList>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const WebhookDeliveryStatus = z.enum(WEBHOOK_DELIVERY_STATUSES);
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;

export const WebhookDelivery = z.object({
  id: z.string().max(20),
  event_id: z.string().max(20),
  status: WebhookDeliveryStatus,
  attempts: z.int().nonnegative(),
  /** The receiver's HTTP status on the last attempt; absent when it never answered. */
  last_status: z.int().optional(),
  last_error: z.string().max(1024).optional(),
  /** Absent once delivered or failed. */
  next_attempt_at: Timestamp.optional(),
  created_at: Timestamp,
  delivered_at: Timestamp.optional(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDelivery) });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

/** The answer to POST /webhooks/:id/test: the event queued for this webhook only. */
export const WebhookTestQueued = z.object({ event_id: z.string().max(20) });
export type WebhookTestQueued = z.infer<typeof WebhookTestQueued>;

/**
 * The body of every delivery: the event as GET /events shows it. `id` is a decimal string (ids are
 * 64-bit); `data` carries `reason` and the event's details.
 */
export const WebhookEventBody = z.object({
  id: z.string().max(20),
  type: z.string().max(100),
  at: Timestamp,
  container_id: z.string().optional(),
  host_id: z.string().optional(),
  user_id: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEventBody = z.infer<typeof WebhookEventBody>;
