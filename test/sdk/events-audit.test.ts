// The SDK's events and audit calls against a real control plane on real Postgres: a page of
// events, the live stream as an async iterable (resuming after a given id), and the audit list.
import { RexecClient, RexecError } from '@rexec/sdk';
import { pino } from 'pino';
import t from 'tap';
import { createEventWake } from '../../packages/control-plane/src/events/event-wake.js';
import { recordEvent } from '../../packages/control-plane/src/services/events.js';
import { insertContainer } from '../control-plane/http/rows.js';
import {
  liftRateLimits,
  newUser,
  preparedDatabase,
  startServer,
} from '../control-plane/http/server.js';

void t.test('SDK events and audit', async (t) => {
  const { database, adminToken } = await preparedDatabase(t, 'pg');
  const wake = createEventWake({ database, log: pino({ level: 'silent' }), probeMs: 100 });
  await wake.start();
  t.teardown(() => wake.stop());
  const server = await startServer(t, 'pg', { database, eventWake: wake });
  await liftRateLimits(server);
  const alice = await newUser(server, 'alice');
  const box = await insertContainer(database, alice.id, { name: 'box' });
  const record = (n: number) =>
    recordEvent(database.db, { type: 'container.running', containerId: box.id, detail: { n } });
  const rexec = new RexecClient({ baseUrl: server.url, token: alice.token });
  const admin = new RexecClient({ baseUrl: server.url, token: adminToken });

  await record(1);
  const page = await rexec.events.list({ types: ['container.*'] });
  t.same(
    page.events.map((e) => e.data['n']),
    [1],
  );
  t.equal(page.next_cursor, page.events[0]?.id);

  const seen: number[] = [];
  const stream = rexec.events.stream({ containerId: box.id, after: page.next_cursor ?? undefined });
  const writing = (async () => {
    for (let n = 2; n <= 4; n += 1) await record(n);
  })();
  for await (const event of stream) {
    seen.push(event.data['n'] as number);
    if (seen.length === 3) break;
  }
  await writing;
  t.same(seen, [2, 3, 4], 'the stream resumes after the given id and ends when the loop does');

  const refused = await rexec.events.list({ all: true }).catch((error: unknown) => error);
  t.ok(refused instanceof RexecError && refused.code === 'forbidden');

  await rexec.tokens.create('ci');
  const audit = await admin.audit.list({ userId: alice.id, action: 'token.create' });
  t.equal(audit.entries.length, 1);
  t.match(audit.entries[0], { action: 'token.create', outcome: 'success', status_code: 201 });
});
