// One HTTP POST of a signed delivery, connecting only to addresses the policy allows (checked after
// DNS resolution, on the socket's own lookup). Redirects are not followed: a 3xx is a failure, so a
// public URL cannot bounce a delivery to a private one. Choosing what and when to send is
// dispatcher.ts's.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '@rexec/protocol';
import { isAllowedAddress, type AddressPolicy } from './address-policy.js';
import { signWebhook } from './signature.js';
import { guardedLookup, hostOf } from './url-guard.js';

export const DELIVERY_TIMEOUT_MS = 10_000;

export interface Outgoing {
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

/** Connection pools for deliveries; the dispatcher owns them and destroys them on stop. */
export interface DeliveryAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

export function createDeliveryAgents(): DeliveryAgents {
  const options = { keepAlive: true, maxSockets: 64 };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

/** `status` when the receiver answered; `error` says what went wrong when it was not a 2xx. */
export interface SendOutcome {
  ok: boolean;
  status?: number;
  error?: string;
}

export function sendDelivery(
  policy: AddressPolicy,
  agents: DeliveryAgents,
  outgoing: Outgoing,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<SendOutcome> {
  const url = new URL(outgoing.url);
  const host = hostOf(url);
  // An IP literal never reaches `lookup`, so it is checked here.
  if (isIP(host) !== 0 && !isAllowedAddress(policy, host)) {
    return Promise.resolve({ ok: false, error: `${host} is not a public address` });
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: https ? agents.https : agents.http,
        lookup: guardedLookup(policy),
        timeout: timeoutMs,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'rexec-webhooks/1',
          [WEBHOOK_EVENT_ID_HEADER]: outgoing.eventId,
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(outgoing.secret, timestamp, outgoing.body),
        },
      },
      (res) => {
        // The answer's body is not kept; draining it lets the socket close.
        res.resume();
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        resolve(ok ? { ok, status } : { ok, status, error: `receiver answered HTTP ${status}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, error: error.message.slice(0, 1000) }));
    req.end(outgoing.body);
  });
}
