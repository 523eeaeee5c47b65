// The dispatcher's pace on its own timer: a pass that sent something is followed at once by the
// next, so a container's queued events go out back to back (only its oldest pending delivery is
// ever due) instead of one per interval, and what was queued before start() goes out at start.
// The interval here is an hour: everything beyond the first pass must come from that chaining.
import { setTimeout as sleep } from 'node:timers/promises';
import { WebhookCreated } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import { createWebhookDispatcher } from '../../../packages/control-plane/src/webhooks/dispatcher.js';
import { insertContainer } from '../http/rows.js';
import { call, liftRateLimits, newUser, startServer } from '../http/server.js';
import { startReceiver } from './receiver.js';

const EVENTS = 6;

t.setTimeout(120_000);

void t.test('queued deliveries of one container go out back to back, in order', async (t) => {
  const server = await startServer(t, 'pg', {
    webhookPolicy: { allowPrivate: true, allowedCidrs: [] },
  });
  await liftRateLimits(server);
  const alice = await newUser(server, 'alice');
  const receiver = await startReceiver(t);
  const created = await call(server, 'POST', '/api/v1/webhooks', {
    token: alice.token,
    json: { url: receiver.url, events: ['container.*'] },
  });
  WebhookCreated.parse(created.body);
  const box = await insertContainer(server.database, alice.id, { name: 'box' });
  for (let i = 0; i < EVENTS; i++) {
    await recordEvent(server.database.db, {
      type: i % 2 === 0 ? 'container.running' : 'container.stopped',
      containerId: box.id,
      reason: `r${i}`,
    });
  }

  const dispatcher = createWebhookDispatcher(
    { db: server.database.db, log: pino({ level: 'silent' }) },
    { policy: { allowPrivate: true, allowedCidrs: [] }, intervalMs: 3_600_000 },
  );
  t.teardown(() => dispatcher.stop());
  dispatcher.start();
  // Bounded by the test's timeout, not by a clock: without chaining, one delivery per hour.
  while (receiver.received.length < EVENTS) await sleep(20);

  const reasons = receiver.received.map((r) => {
    const body = JSON.parse(r.body) as { data: { reason?: string } };
    return body.data.reason;
  });
  t.same(
    reasons,
    Array.from({ length: EVENTS }, (_, i) => `r${i}`),
    'all delivered, each once, in the order written',
  );
});
