// A user's webhooks: create (URL checked against the address policy, secret shown once), list,
// delete, their recent deliveries, and a test event queued for one webhook. Filling the outbox is
// the events trigger's (migration 0015); sending is webhooks/dispatcher.ts's.
import { MAX_WEBHOOKS_PER_USER, type WebhookCreate } from '@rexec/protocol';
import { and, count, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { events } from '../db/schema/events.js';
import { users } from '../db/schema/users.js';
import { webhookDeliveries, type WebhookDeliveryRow } from '../db/schema/webhook-deliveries.js';
import { webhooks, type WebhookRow } from '../db/schema/webhooks.js';
import { forbidden, notFound } from '../errors.js';
import { isId, newId } from '../ids.js';
import type { AddressPolicy } from '../webhooks/address-policy.js';
import { newWebhookSecret } from '../webhooks/signature.js';
import { assertUrlAllowed } from '../webhooks/url-guard.js';

export type WebhookSummary = Omit<WebhookRow, 'secret' | 'userId'>;

const summary = {
  id: webhooks.id,
  url: webhooks.url,
  events: webhooks.events,
  description: webhooks.description,
  createdAt: webhooks.createdAt,
};

/** Deliveries listed per webhook, newest first. */
export const DELIVERY_LIST_LIMIT = 100;

export async function createWebhook(
  db: Db,
  policy: AddressPolicy,
  userId: string,
  input: WebhookCreate,
): Promise<WebhookRow> {
  await assertUrlAllowed(policy, input.url);
  return db.transaction(async (tx) => {
    // The user's row lock makes the count and the insert one step under concurrent creates.
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
    const [existing] = await tx
      .select({ n: count() })
      .from(webhooks)
      .where(eq(webhooks.userId, userId));
    if ((existing?.n ?? 0) >= MAX_WEBHOOKS_PER_USER) {
      throw forbidden(`A user may have at most ${MAX_WEBHOOKS_PER_USER} webhooks.`);
    }
    const [row] = await tx
      .insert(webhooks)
      .values({
        id: newId('whk'),
        userId,
        url: input.url,
        events: input.events,
        description: input.description ?? null,
        secret: newWebhookSecret(),
      })
      .returning();
    if (row === undefined) throw new Error('insert into webhooks returned no row');
    return row;
  });
}

export async function listWebhooks(db: Db, userId: string): Promise<WebhookSummary[]> {
  return db
    .select(summary)
    .from(webhooks)
    .where(eq(webhooks.userId, userId))
    .orderBy(webhooks.createdAt, webhooks.id);
}

async function ownWebhook(db: Db, userId: string, id: string): Promise<WebhookSummary> {
  if (!isId('whk', id)) throw notFound('Webhook', id);
  const [row] = await db
    .select(summary)
    .from(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.userId, userId)));
  if (row === undefined) throw notFound('Webhook', id);
  return row;
}

/** Removes the webhook and its pending deliveries; someone else's is not_found. */
export async function deleteWebhook(db: Db, userId: string, id: string): Promise<void> {
  if (!isId('whk', id)) throw notFound('Webhook', id);
  const removed = await db
    .delete(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.userId, userId)))
    .returning({ id: webhooks.id });
  if (removed.length === 0) throw notFound('Webhook', id);
}

export async function listDeliveries(
  db: Db,
  userId: string,
  id: string,
): Promise<WebhookDeliveryRow[]> {
  await ownWebhook(db, userId, id);
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, id))
    .orderBy(desc(webhookDeliveries.id))
    .limit(DELIVERY_LIST_LIMIT);
}

/** Writes a `webhook.test` event, which the outbox trigger addresses to this webhook only. */
export async function queueTestEvent(db: Db, userId: string, id: string): Promise<number> {
  await ownWebhook(db, userId, id);
  const [row] = await db
    .insert(events)
    .values({ type: 'webhook.test', actorUserId: userId, detail: { webhook_id: id } })
    .returning({ id: events.id });
  if (row === undefined) throw new Error('insert into events returned no row');
  return row.id;
}
