// The caller's webhooks: create (the answer's `secret` is shown only there), list, delete, recent
// deliveries, and a test event. Checking a delivery's signature is verify-webhook.ts's.
import type { Webhook, WebhookDelivery } from '@rexec/protocol';
import {
  WebhookCreated,
  WebhookDeliveryList,
  WebhookList,
  WebhookTestQueued,
} from '@rexec/protocol';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { segment } from './path.js';

export interface WebhookCreateOptions {
  /** Event types or prefixes: `container.stopped`, `container`, `container.*`, `*`. */
  events: string[];
  description?: string;
}

export class Webhooks {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Keep the answer's `secret`: it signs every delivery and is never shown again. */
  async create(url: string, options: WebhookCreateOptions): Promise<WebhookCreated> {
    const body = {
      url,
      events: options.events,
      ...(options.description === undefined ? {} : { description: options.description }),
    };
    return decode(
      WebhookCreated,
      await this.#http.send('POST', '/webhooks', { body }),
      'POST /webhooks',
    );
  }

  async list(): Promise<Webhook[]> {
    return decode(WebhookList, await this.#http.send('GET', '/webhooks'), 'GET /webhooks').webhooks;
  }

  async delete(id: string): Promise<void> {
    await this.#http.send('DELETE', `/webhooks/${segment(id, 'webhook id')}`);
  }

  /** The newest deliveries first (at most 100). */
  async deliveries(id: string): Promise<WebhookDelivery[]> {
    const path = `/webhooks/${segment(id, 'webhook id')}/deliveries`;
    return decode(WebhookDeliveryList, await this.#http.send('GET', path), `GET ${path}`)
      .deliveries;
  }

  /** Queues a `webhook.test` event for this webhook only; answers with its event id. */
  async test(id: string): Promise<string> {
    const path = `/webhooks/${segment(id, 'webhook id')}/test`;
    return decode(WebhookTestQueued, await this.#http.send('POST', path), `POST ${path}`).event_id;
  }
}
