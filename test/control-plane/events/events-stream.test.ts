// GET /events/stream over real HTTP on real Postgres: events arrive as SSE frames, heartbeats keep
// a quiet stream alive, filters and ownership hold, and a client resuming with Last-Event-ID on a
// restarted replica (a new app and LISTEN connection on the same database) loses and repeats none.
import { Event } from '@rexec/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import type { Test } from 'tap';
import t from 'tap';
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import { createEventWake } from '../../../packages/control-plane/src/events/event-wake.js';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import { insertContainer } from '../http/rows.js';
import { call, liftRateLimits, newUser, startServer, type TestServer } from '../http/server.js';
import { nextEvent, openSse, type SseConnection } from './sse-client.js';

async function replica(t: Test, database: Database): Promise<TestServer> {
  const wake = createEventWake({ database, log: silentLog(), probeMs: 100 });
  await wake.start();
  const server = await startServer(t, 'pg', { database, eventWake: wake, sseHeartbeatMs: 200 });
  // Streams end before the server closes, as main.ts orders it.
  const close = () => server.app.close();
  server.close = async () => {
    await wake.stop();
    await close();
  };
  t.teardown(() => wake.stop());
  return server;
}

function silentLog(): FastifyBaseLogger {
  return pino({ level: 'silent' });
}

function stream(
  server: TestServer,
  token: string,
  query = '',
  headers: Record<string, string> = {},
) {
  return openSse(`${server.url}/api/v1/events/stream${query}`, {
    authorization: `Bearer ${token}`,
    ...headers,
  });
}

async function nextParsed(connection: SseConnection): Promise<Event> {
  const frame = await nextEvent(connection);
  const event = Event.parse(JSON.parse(frame.data ?? ''));
  if (frame.id !== event.id || frame.event !== event.type) throw new Error('frame fields disagree');
  return event;
}

void t.test('event stream', async (t) => {
  const first = await startServer(t, 'pg');
  const database = first.database;
  await liftRateLimits(first);
  await first.close();
  const alice = await newUser(first, 'alice');
  const bob = await newUser(first, 'bob');
  const mine = await insertContainer(database, alice.id, { name: 'mine' });
  const theirs = await insertContainer(database, bob.id, { name: 'theirs' });
  const record = (containerId: string, n: number) =>
    recordEvent(database.db, {
      type: 'container.running',
      containerId,
      reason: 'started',
      detail: { n },
    });

  const a = await replica(t, database);

  void t.test('delivers new events as frames, with heartbeats, only the caller’s', async (t) => {
    const sse = await stream(a, alice.token);
    t.teardown(() => sse.close());
    t.equal(sse.status, 200);
    t.match(sse.headers.get('content-type'), /^text\/event-stream/);
    const heartbeat = await sse
      .next()
      .then(async (frame) => (frame.comment === undefined ? sse.next() : frame));
    t.ok(
      heartbeat.comment !== undefined || heartbeat.id === undefined,
      'a preamble or heartbeat comes first',
    );
    await record(theirs.id, 0);
    await record(mine.id, 1);
    const event = await nextParsed(sse);
    t.match(event, {
      type: 'container.running',
      container_id: mine.id,
      user_id: alice.id,
      data: { n: 1, reason: 'started' },
    });
    let comment: string | undefined;
    while (comment === undefined) comment = (await sse.next()).comment;
    t.equal(comment, 'heartbeat');
  });

  void t.test('refuses bad requests before streaming', async (t) => {
    const anonymous = await call(a, 'GET', '/api/v1/events/stream');
    t.equal(anonymous.status, 401);
    const unknown = await call(a, 'GET', '/api/v1/events/stream', {
      token: alice.token,
      headers: { 'last-event-id': '987654321' },
    });
    t.equal(unknown.status, 400);
    t.equal(unknown.body.code, 'invalid_request');
    const notAdmin = await call(a, 'GET', '/api/v1/events/stream?all=true', { token: alice.token });
    t.equal(notAdmin.status, 403);
  });

  void t.test(
    'resumes with Last-Event-ID on a restarted replica without loss or repeats',
    async (t) => {
      const sse = await stream(a, alice.token, `?container_id=${mine.id}`);
      for (let n = 10; n < 13; n += 1) await record(mine.id, n);
      const before: Event[] = [];
      for (let i = 0; i < 3; i += 1) before.push(await nextParsed(sse));
      t.same(
        before.map((e) => e.data['n']),
        [10, 11, 12],
      );
      await a.close();
      const drain = async () => {
        for (;;)
          if ((await sse.next()).id !== undefined) throw new Error('an event after the last');
      };
      await t.rejects(drain(), { message: 'stream ended' }, 'the stream ends with the replica');
      for (let n = 13; n < 16; n += 1) await record(mine.id, n);
      const b = await replica(t, database);
      const resumed = await stream(b, alice.token, `?container_id=${mine.id}`, {
        'last-event-id': before.at(-1)?.id ?? '',
      });
      t.teardown(() => resumed.close());
      const after: Event[] = [];
      for (let i = 0; i < 3; i += 1) after.push(await nextParsed(resumed));
      t.same(
        after.map((e) => e.data['n']),
        [13, 14, 15],
        'exactly the events written while away',
      );
      await record(mine.id, 16);
      t.equal((await nextParsed(resumed)).data['n'], 16, 'then live again, nothing repeated');
    },
  );
});
