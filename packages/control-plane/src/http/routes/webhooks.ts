// The caller's webhooks (DESIGN §8.3): create (secret shown once), list, delete, recent deliveries,
// and a test event. The address policy comes from main.ts (REXEC_WEBHOOK_ALLOW_PRIVATE,
// REXEC_WEBHOOK_ALLOWED_CIDRS); without one only public addresses are accepted.
import {
  WebhookCreate,
  WebhookCreated,
  WebhookDeliveryList,
  WebhookId,
  WebhookList,
  WebhookTestQueued,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  queueTestEvent,
} from '../../services/webhooks.js';
import { PUBLIC_ONLY } from '../../webhooks/address-policy.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toWebhook, toWebhookCreated, toWebhookDelivery } from '../webhook-mappers.js';
import { ERROR_RESPONSES } from './responses.js';

const params = z.object({ id: WebhookId });

export function webhookRoutes({
  database,
  webhookPolicy,
}: RouteDependencies): FastifyPluginCallbackZod {
  const policy = webhookPolicy ?? PUBLIC_ONLY;
  return (app, _options, done) => {
    app.post(
      '/webhooks',
      {
        config: { rateLimit: 'operations' },
        schema: { body: WebhookCreate, response: { 201: WebhookCreated, ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        const row = await createWebhook(
          database.db,
          policy,
          callerOf(request).user.id,
          request.body,
        );
        return reply.status(201).send(toWebhookCreated(row));
      },
    );
    app.get(
      '/webhooks',
      {
        config: { rateLimit: 'list' },
        schema: { response: { 200: WebhookList, ...ERROR_RESPONSES } },
      },
      async (request) => ({
        webhooks: (await listWebhooks(database.db, callerOf(request).user.id)).map(toWebhook),
      }),
    );
    app.delete(
      '/webhooks/:id',
      {
        config: { rateLimit: 'operations' },
        schema: { params, response: { 204: z.null().describe('Deleted'), ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        await deleteWebhook(database.db, callerOf(request).user.id, request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/webhooks/:id/deliveries',
      {
        config: { rateLimit: 'list' },
        schema: { params, response: { 200: WebhookDeliveryList, ...ERROR_RESPONSES } },
      },
      async (request) => ({
        deliveries: (
          await listDeliveries(database.db, callerOf(request).user.id, request.params.id)
        ).map(toWebhookDelivery),
      }),
    );
    app.post(
      '/webhooks/:id/test',
      {
        config: { rateLimit: 'operations' },
        schema: { params, response: { 202: WebhookTestQueued, ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        const eventId = await queueTestEvent(
          database.db,
          callerOf(request).user.id,
          request.params.id,
        );
        return reply.status(202).send({ event_id: String(eventId) });
      },
    );
    done();
  };
}
