// verifyWebhook against signatures made by the openssl CLI (an implementation independent of the
// SDK's Web Crypto code and the server's node:crypto code): accepted when intact and fresh, refused
// when the body, secret, timestamp or signature is off or the timestamp is outside the tolerance.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { verifyWebhook } from '../../packages/sdk/src/index.js';

const secret = 'whsec_' + 'ab'.repeat(32);
const body = '{"id":"42","type":"container.stopped","data":{"reason":"idle"},"note":"é"}';

function opensslSign(key: string, timestamp: number, text: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', key, '-r'], {
    input: `${timestamp}.${text}`,
  });
  return `v1=${out.toString('utf8').split(' ')[0]}`;
}

void t.test('an intact, fresh delivery verifies with fetch Headers and Node headers', async (t) => {
  const now = 1_800_000_000;
  const signature = opensslSign(secret, now, body);
  const headers = new Headers({ 'Rexec-Timestamp': String(now), 'Rexec-Signature': signature });
  t.equal(await verifyWebhook(secret, headers, body, { nowSeconds: now + 10 }), true);
  const node = { 'rexec-timestamp': String(now), 'rexec-signature': signature };
  t.equal(await verifyWebhook(secret, node, Buffer.from(body), { nowSeconds: now }), true);
  t.equal(
    await verifyWebhook(secret, { ...node, 'rexec-signature': `v1=00, ${signature}` }, body, {
      nowSeconds: now,
    }),
    true,
    'any listed signature may match',
  );
});

void t.test('anything off is refused', async (t) => {
  const now = 1_800_000_000;
  const good = {
    'rexec-timestamp': String(now),
    'rexec-signature': opensslSign(secret, now, body),
  };
  const cases: [string, Record<string, string>, string, number][] = [
    ['body changed', good, body.replace('idle', 'user'), now],
    ['other secret', { ...good, 'rexec-signature': opensslSign('whsec_x', now, body) }, body, now],
    ['timestamp changed', { ...good, 'rexec-timestamp': String(now + 1) }, body, now],
    ['too old', good, body, now + 301],
    ['from the future', good, body, now - 301],
    ['no signature', { 'rexec-timestamp': String(now) }, body, now],
    [
      'not v1',
      { ...good, 'rexec-signature': good['rexec-signature'].replace('v1=', 'v2=') },
      body,
      now,
    ],
  ];
  for (const [name, headers, text, clock] of cases) {
    t.equal(await verifyWebhook(secret, headers, text, { nowSeconds: clock }), false, name);
  }
  t.equal(
    await verifyWebhook(secret, good, body, { nowSeconds: now + 3600, toleranceSeconds: 7200 }),
    true,
    'a wider tolerance accepts an older delivery',
  );
});
