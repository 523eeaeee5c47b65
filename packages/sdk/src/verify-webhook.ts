// Checks a webhook delivery: `Rexec-Signature: v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>`
// with a timestamp no older (or newer) than the tolerance, compared in constant time. Uses Web
// Crypto, so it runs in Node 20+, browsers and edge runtimes alike. Sending is the control plane's.
import {
  WEBHOOK_DEFAULT_TOLERANCE_SECONDS,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '@rexec/protocol';

/** Fetch `Headers`, or Node's `IncomingHttpHeaders` (lower-case keys). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Largest accepted age of `Rexec-Timestamp`, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The clock, for tests; unix seconds. */
  nowSeconds?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * True when `body` (the raw bytes or text as received, before any JSON parsing) was signed with
 * `secret` and its timestamp is within the tolerance; false otherwise.
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): Promise<boolean> {
  const timestamp = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signature = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return false;
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance) return false;
  const encoder = new TextEncoder();
  const raw = typeof body === 'string' ? encoder.encode(body) : body;
  const signed = new Uint8Array(timestamp.length + 1 + raw.length);
  signed.set(encoder.encode(`${timestamp}.`), 0);
  signed.set(raw, timestamp.length + 1);
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = `v1=${hex(await crypto.subtle.sign('HMAC', key, signed))}`;
  // A sender may list several signatures (key rotation): any one matching is enough.
  return signature
    .split(',')
    .map((part) => part.trim())
    .some((part) => equalConstantTime(part, expected));
}
