// Webhooks over real HTTP on real Postgres, delivering to a real local receiver: the API (secret
// shown once, SSRF refusal at creation and again after DNS at delivery), signatures checked with
// the openssl CLI, retries against a receiver that fails N times, order per container, ownership,
// giving up after the retry window, and two dispatchers (replicas) never sending one row twice.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorBody, WebhookCreated, WebhookDeliveryList, WebhookList } from '@rexec/protocol';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import {
  PUBLIC_ONLY,
  type AddressPolicy,
} from '../../../packages/control-plane/src/webhooks/address-policy.js';
import {
  createWebhookDispatcher,
  type WebhookDispatcher,
} from '../../../packages/control-plane/src/webhooks/dispatcher.js';
import { insertContainer, insertHost } from '../http/rows.js';
import { call, liftRateLimits, newUser, startServer } from '../http/server.js';
import { startReceiver, type Receiver } from './receiver.js';

const ALLOW_PRIVATE: AddressPolicy = { allowPrivate: true, allowedCidrs: [] };

function dispatcher(
  t: Test,
  database: Database,
  options: { policy?: AddressPolicy; retryWindowMs?: number } = {},
): WebhookDispatcher {
  const made = createWebhookDispatcher(
    { db: database.db, log: pino({ level: 'silent' }) },
    { policy: options.policy ?? ALLOW_PRIVATE, retryBaseMs: 20, ...options },
  );
  t.teardown(() => made.stop());
  return made;
}

/** Runs passes until `done()` holds; fails the test after a bounded number of passes. */
async function drain(t: Test, passes: () => Promise<unknown>, done: () => boolean) {
  for (let i = 0; i < 300 && !done(); i++) {
    await passes();
    if (!done()) await sleep(25);
  }
  t.ok(done(), 'the deliveries settled');
}

/** The signature as the openssl CLI computes it: independent of the server's node:crypto code. */
function opensslSignature(secret: string, timestamp: string, body: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-r'], {
    input: `${timestamp}.${body}`,
  });
  return `v1=${out.toString('utf8').split(' ')[0]}`;
}

async function setup(t: Test, policy: AddressPolicy = ALLOW_PRIVATE) {
  const server = await startServer(t, 'pg', { webhookPolicy: policy });
  await liftRateLimits(server);
  const alice = await newUser(server, 'alice');
  return { server, alice };
}

void t.test('creating refuses private addresses unless the operator allows them', async (t) => {
  const { server, alice } = await setup(t, PUBLIC_ONLY);
  for (const url of [
    'http://127.0.0.1:9/hook',
    'http://localhost:9/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://10.1.2.3/',
    'http://[::1]:9/',
    'http://[::ffff:127.0.0.1]/',
  ]) {
    const answer = await call(server, 'POST', '/api/v1/webhooks', {
      token: alice.token,
      json: { url, events: ['container'] },
    });
    t.equal(answer.status, 400, url);
    t.equal(ErrorBody.parse(answer.body).code, 'url_not_allowed', url);
  }
  const bad = await call(server, 'POST', '/api/v1/webhooks', {
    token: alice.token,
    json: { url: 'ftp://example.com/', events: ['Container!'] },
  });
  t.equal(bad.status, 400);
  t.equal(ErrorBody.parse(bad.body).code, 'invalid_request');
});

void t.test('a webhook is created with its secret once, listed without it, deleted', async (t) => {
  const { server, alice } = await setup(t);
  const bob = await newUser(server, 'bob');
  const receiver = await startReceiver(t);
  const created = await call(server, 'POST', '/api/v1/webhooks', {
    token: alice.token,
    json: { url: receiver.url, events: ['container.stopped'], description: 'ops' },
  });
  t.equal(created.status, 201);
  const hook = WebhookCreated.parse(created.body);
  t.match(hook.secret, /^whsec_[0-9a-f]{64}$/);
  t.same(hook.events, ['container.stopped']);
  const list = WebhookList.parse(
    (await call(server, 'GET', '/api/v1/webhooks', { token: alice.token })).body,
  );
  t.same(
    list.webhooks.map((w) => w.id),
    [hook.id],
  );
  t.notOk('secret' in (list.webhooks[0] ?? {}), 'the list never shows the secret');
  const theirs = await call(server, 'GET', '/api/v1/webhooks', { token: bob.token });
  t.same(theirs.body, { webhooks: [] }, 'another user sees none of them');
  const notTheirs = await call(server, 'DELETE', `/api/v1/webhooks/${hook.id}`, {
    token: bob.token,
  });
  t.equal(notTheirs.status, 404);
  t.equal(
    (await call(server, 'DELETE', `/api/v1/webhooks/${hook.id}`, { token: alice.token })).status,
    204,
  );
  t.equal(
    (await call(server, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: alice.token }))
      .status,
    404,
  );
});

void t.test(
  'deliveries are signed, retried until the receiver accepts, in order per container',
  async (t) => {
    const { server, alice } = await setup(t);
    // Every event's first two deliveries fail: each must still arrive, and in its container's order.
    const receiver = await startReceiver(t, (_body, earlier) => (earlier < 2 ? 500 : 200));
    const hook = WebhookCreated.parse(
      (
        await call(server, 'POST', '/api/v1/webhooks', {
          token: alice.token,
          json: { url: receiver.url, events: ['container.*'] },
        })
      ).body,
    );
    const a = await insertContainer(server.database, alice.id, { name: 'a' });
    const b = await insertContainer(server.database, alice.id, { name: 'b' });
    const sent: Record<string, string[]> = { [a.id]: [], [b.id]: [] };
    for (const [i, type] of (
      ['container.running', 'container.stopped', 'container.running'] as const
    ).entries()) {
      for (const container of [a, b]) {
        await recordEvent(server.database.db, { type, containerId: container.id, reason: `r${i}` });
        sent[container.id]?.push(`${type}/r${i}`);
      }
    }
    // A host event is not alice's: her webhook must not get it.
    const host = await insertHost(server.database);
    await recordEvent(server.database.db, { type: 'container.error', hostId: host.id });

    const one = dispatcher(t, server.database);
    const accepted = () => receiver.received.filter((r) => r.status === 200);
    await drain(
      t,
      () => one.dispatchOnce(),
      () => accepted().length === 6,
    );
    t.equal(receiver.received.length, 18, 'each of 6 events was tried three times');
    const got: Record<string, string[]> = { [a.id]: [], [b.id]: [] };
    for (const r of accepted()) {
      const body = JSON.parse(r.body) as {
        id: string;
        type: string;
        container_id: string;
        data: { reason: string };
      };
      t.equal(r.headers['rexec-event-id'], body.id);
      t.equal(r.headers['content-type'], 'application/json');
      const timestamp = String(r.headers['rexec-timestamp']);
      t.match(timestamp, /^\d{10}$/);
      t.equal(
        r.headers['rexec-signature'],
        opensslSignature(hook.secret, timestamp, r.body),
        'openssl agrees',
      );
      got[body.container_id]?.push(`${body.type}/${body.data.reason}`);
    }
    t.same(got, sent, "each container's events arrived in order");
    // Order holds across attempts too: no later event of a container was tried before an earlier one succeeded.
    for (const container of [a, b]) {
      const seen = receiver.received
        .map((r) => JSON.parse(r.body) as { id: string; container_id: string })
        .filter((body) => body.container_id === container.id)
        .map((body) => Number(body.id));
      t.same(
        seen,
        [...seen].sort((x, y) => x - y),
        'attempts never overtake',
      );
    }
    const deliveries = WebhookDeliveryList.parse(
      (await call(server, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: alice.token }))
        .body,
    ).deliveries;
    t.equal(deliveries.length, 6);
    for (const d of deliveries) {
      t.equal(d.status, 'delivered');
      t.equal(d.attempts, 3);
      t.equal(d.last_status, 200);
      t.notOk(d.next_attempt_at);
    }
  },
);

void t.test('users see their own containers; admins also host events; test events', async (t) => {
  const { server, alice } = await setup(t);
  const bob = await newUser(server, 'bob');
  const receiver = await startReceiver(t);
  const create = async (token: string, events: string[]) =>
    WebhookCreated.parse(
      (
        await call(server, 'POST', '/api/v1/webhooks', {
          token,
          json: { url: receiver.url, events },
        })
      ).body,
    );
  const aliceHook = await create(alice.token, ['*']);
  const bobHook = await create(bob.token, ['*']);
  const adminHook = await create(server.adminToken, ['host']);
  const mine = await insertContainer(server.database, alice.id, { name: 'mine' });
  const host = await insertHost(server.database);
  await recordEvent(server.database.db, {
    type: 'container.stopped',
    containerId: mine.id,
    reason: 'user',
  });
  await recordEvent(server.database.db, { type: 'host.unreachable', hostId: host.id });
  const queued = await call(server, 'POST', `/api/v1/webhooks/${bobHook.id}/test`, {
    token: bob.token,
  });
  t.equal(queued.status, 202);
  t.equal(
    (await call(server, 'POST', `/api/v1/webhooks/${bobHook.id}/test`, { token: alice.token }))
      .status,
    404,
  );

  const one = dispatcher(t, server.database);
  await drain(
    t,
    () => one.dispatchOnce(),
    () => receiver.received.length >= 3,
  );
  await one.dispatchOnce();
  const bySecretOwner = (secret: string) =>
    receiver.received
      .filter((r) => {
        const ts = String(r.headers['rexec-timestamp']);
        return r.headers['rexec-signature'] === opensslSignature(secret, ts, r.body);
      })
      .map((r) => (JSON.parse(r.body) as { type: string }).type);
  t.same(bySecretOwner(aliceHook.secret), ['container.stopped'], 'alice: her container only');
  t.same(bySecretOwner(bobHook.secret), ['webhook.test'], 'bob: nothing of alice, his test event');
  t.same(bySecretOwner(adminHook.secret), ['host.unreachable'], 'admin: the host event');
  t.equal(receiver.received.length, 3);
});

void t.test('delivery re-checks the address after DNS and gives up after the window', async (t) => {
  const { server, alice } = await setup(t);
  const receiver = await startReceiver(t);
  // Created while the operator allowed private addresses; delivered by a replica that does not.
  const hook = WebhookCreated.parse(
    (
      await call(server, 'POST', '/api/v1/webhooks', {
        token: alice.token,
        json: { url: `http://localhost:${receiver.port}/hook`, events: ['container'] },
      })
    ).body,
  );
  const c = await insertContainer(server.database, alice.id, { name: 'c' });
  await recordEvent(server.database.db, { type: 'container.running', containerId: c.id });
  const strict = dispatcher(t, server.database, { policy: PUBLIC_ONLY, retryWindowMs: 300 });
  const list = async () =>
    WebhookDeliveryList.parse(
      (await call(server, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: alice.token }))
        .body,
    ).deliveries;
  let status = 'pending';
  await drain(
    t,
    async () => {
      await strict.dispatchOnce();
      status = (await list())[0]?.status ?? 'missing';
    },
    () => status === 'failed',
  );
  const [delivery] = await list();
  t.match(delivery?.last_error, /not a public address/);
  t.ok((delivery?.attempts ?? 0) >= 1);
  t.notOk(delivery?.last_status, 'no connection was made');
  t.equal(receiver.received.length, 0, 'the receiver was never reached');
});

void t.test('two dispatchers on one database never send a delivery twice', async (t) => {
  const { server, alice } = await setup(t);
  const receiver: Receiver = await startReceiver(t);
  await call(server, 'POST', '/api/v1/webhooks', {
    token: alice.token,
    json: { url: receiver.url, events: ['container'] },
  });
  const containers = [];
  for (let i = 0; i < 8; i++)
    containers.push(await insertContainer(server.database, alice.id, { name: `n${i}` }));
  for (let round = 0; round < 3; round++) {
    for (const c of containers)
      await recordEvent(server.database.db, { type: 'container.running', containerId: c.id });
  }
  const first = dispatcher(t, server.database);
  const second = dispatcher(t, server.database);
  await drain(
    t,
    () => Promise.all([first.dispatchOnce(), second.dispatchOnce()]),
    () => receiver.received.length >= 24,
  );
  await Promise.all([first.dispatchOnce(), second.dispatchOnce()]);
  const ids = receiver.received.map((r) => String(r.headers['rexec-event-id']));
  t.equal(ids.length, 24);
  t.equal(new Set(ids).size, 24, 'every event exactly once');
});
