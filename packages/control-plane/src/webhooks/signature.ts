// Signing a delivery: `v1=` + hex HMAC-SHA256(secret, "<unix seconds>.<raw body>") (DESIGN §8.3).
// Verifying is the SDKs' (packages/sdk, sdk/go); the tests check this with their own code.
import { createHmac, randomBytes } from 'node:crypto';

/** A new signing secret: `whsec_` + 32 random bytes, hex. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8');
  return `v1=${mac.digest('hex')}`;
}
