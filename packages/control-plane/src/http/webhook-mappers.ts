// Webhook rows → API objects (STYLE 8), beside mappers.ts to keep that file small.
import type { Webhook, WebhookCreated, WebhookDelivery } from '@rexec/protocol';
import type { WebhookDeliveryRow } from '../db/schema/webhook-deliveries.js';
import type { WebhookRow } from '../db/schema/webhooks.js';
import type { WebhookSummary } from '../services/webhooks.js';

export function toWebhook(row: WebhookSummary): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    created_at: row.createdAt.toISOString(),
  };
}

export function toWebhookCreated(row: WebhookRow): WebhookCreated {
  return { ...toWebhook(row), secret: row.secret };
}

export function toWebhookDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: String(row.id),
    event_id: String(row.eventId),
    status: row.status,
    attempts: row.attempts,
    ...(row.lastStatus === null ? {} : { last_status: row.lastStatus }),
    ...(row.lastError === null ? {} : { last_error: row.lastError }),
    ...(row.status === 'pending' ? { next_attempt_at: row.nextAttemptAt.toISOString() } : {}),
    created_at: row.createdAt.toISOString(),
    ...(row.deliveredAt === null ? {} : { delivered_at: row.deliveredAt.toISOString() }),
  };
}
