// GET /events over real HTTP on real Postgres: who sees which events, the filters, and a cursor
// that neither skips nor repeats an event while transactions commit out of id order.
import { EventList } from '@rexec/protocol';
import t from 'tap';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import { insertContainer, insertHost } from '../http/rows.js';
import { call, liftRateLimits, newUser, startServer, type TestServer } from '../http/server.js';

async function page(server: TestServer, token: string, query: string): Promise<EventList> {
  const res = await call(server, 'GET', `/api/v1/events?${query}`, { token });
  if (res.status !== 200)
    throw new Error(`GET /events?${query}: ${res.status} ${JSON.stringify(res.body)}`);
  return EventList.parse(res.body);
}

void t.test('events API', async (t) => {
  const server = await startServer(t, 'pg');
  await liftRateLimits(server);
  const admin = server.adminToken;
  const alice = await newUser(server, 'alice');
  const bob = await newUser(server, 'bob');
  const host = await insertHost(server.database);
  const mine = await insertContainer(server.database, alice.id, { name: 'mine', hostId: host.id });
  const theirs = await insertContainer(server.database, bob.id, { name: 'theirs' });
  const db = server.database.db;
  await recordEvent(db, {
    type: 'container.created',
    containerId: mine.id,
    actorUserId: alice.id,
    reason: 'user',
  });
  await recordEvent(db, {
    type: 'container.stopped',
    containerId: mine.id,
    hostId: host.id,
    reason: 'disk_quota_exceeded',
    detail: { from: 'running' },
  });
  await recordEvent(db, {
    type: 'container.created',
    containerId: theirs.id,
    actorUserId: bob.id,
    reason: 'user',
  });
  await recordEvent(db, {
    type: 'host.cordoned',
    hostId: host.id,
    actorUserId: null,
    detail: { from: 'active', to: 'cordoned' },
  });

  void t.test('a user sees only their own containers’ events, oldest first', async (t) => {
    const list = await page(server, alice.token, '');
    t.same(
      list.events.map((e) => e.type),
      ['container.created', 'container.stopped'],
    );
    const stopped = list.events[1];
    t.match(stopped, {
      container_id: mine.id,
      host_id: host.id,
      user_id: alice.id,
      data: { reason: 'disk_quota_exceeded', from: 'running' },
    });
    t.equal(list.next_cursor, stopped?.id);
    const after = await page(server, alice.token, `cursor=${list.next_cursor}`);
    t.same(after.events, [], 'nothing after the last event');
    t.equal(after.next_cursor, list.next_cursor, 'the cursor stays put for the next poll');
  });

  void t.test('admins see every event, host events too, only with all=true', async (t) => {
    const own = await page(server, admin, '');
    t.same(own.events, [], 'the admin owns no containers');
    const all = await page(server, admin, 'all=true&type=host.*');
    t.same(
      all.events.map((e) => e.type),
      ['host.cordoned'],
    );
    t.match(all.events[0], { host_id: host.id, data: { to: 'cordoned' } });
    const refused = await call(server, 'GET', '/api/v1/events?all=true', { token: alice.token });
    t.equal(refused.status, 403);
    t.equal(refused.body.code, 'forbidden');
  });

  void t.test('filters by type and container, pages by limit', async (t) => {
    const created = await page(server, admin, 'all=true&type=container.created');
    t.same(
      created.events.map((e) => e.container_id),
      [mine.id, theirs.id],
    );
    const one = await page(server, admin, `all=true&container_id=${theirs.id}`);
    t.same(
      one.events.map((e) => e.type),
      ['container.created'],
    );
    const first = await page(server, admin, 'all=true&limit=1');
    const second = await page(server, admin, `all=true&limit=1&cursor=${first.next_cursor}`);
    t.not(first.events[0]?.id, second.events[0]?.id);
    const badType = await call(server, 'GET', '/api/v1/events?type=container.exploded', {
      token: admin,
    });
    t.equal(badType.status, 400);
    t.equal(badType.body.code, 'invalid_request');
    const badCursor = await call(server, 'GET', '/api/v1/events?cursor=999999999', {
      token: admin,
    });
    t.equal(badCursor.status, 400);
    t.match(badCursor.body.issues, [{ path: 'cursor' }]);
  });

  void t.test('an event committed after a later id is neither skipped nor repeated', async (t) => {
    const pool = server.database.pool;
    if (pool === undefined) throw new Error('the pg driver has a pool');
    const start = (await page(server, admin, 'all=true&type=host.*')).next_cursor;
    const slow = await pool.connect();
    try {
      await slow.query('begin');
      await slow.query(`insert into events (type, host_id) values ('host.online', $1)`, [host.id]);
      // A later id, committed first.
      await recordEvent(db, {
        type: 'host.unreachable',
        hostId: host.id,
        reason: 'heartbeat_missed',
      });
      const during = await page(server, admin, `all=true&type=host.*&cursor=${start}`);
      t.same(during.events, [], 'nothing is final while an older writer is still open');
      await slow.query('commit');
    } finally {
      slow.release();
    }
    const after = await page(server, admin, `all=true&type=host.*&cursor=${start}`);
    t.same(
      after.events.map((e) => e.type),
      ['host.online', 'host.unreachable'],
      'both, in commit-safe order',
    );
  });

  void t.test(
    'a reader paging during concurrent writers sees every committed event once',
    async (t) => {
      const pool = server.database.pool;
      if (pool === undefined) throw new Error('the pg driver has a pool');
      const start = (await page(server, admin, 'all=true')).next_cursor;
      const committed: string[] = [];
      let writing = true;
      const writer = async (n: number) => {
        for (let i = 0; i < 12; i += 1) {
          const client = await pool.connect();
          try {
            await client.query('begin');
            const { rows } = await client.query<{ id: string }>(
              `insert into events (type, host_id, detail) values ('host.online', $1, $2) returning id::text as id`,
              [host.id, JSON.stringify({ writer: n, i })],
            );
            await new Promise((resolve) => setTimeout(resolve, (n * 7 + i * 3) % 11));
            if (i % 5 === 4) {
              await client.query('rollback');
            } else {
              await client.query('commit');
              committed.push(rows[0]?.id ?? '');
            }
          } finally {
            client.release();
          }
        }
      };
      const seen: string[] = [];
      let cursor = start;
      const reader = async () => {
        for (;;) {
          const done = !writing;
          const list = await page(
            server,
            admin,
            `all=true&limit=5${cursor === null ? '' : `&cursor=${cursor}`}`,
          );
          seen.push(...list.events.map((e) => e.id));
          cursor = list.next_cursor;
          if (done && list.events.length === 0) return;
        }
      };
      const reading = reader();
      await Promise.all([0, 1, 2, 3].map(writer));
      writing = false;
      await reading;
      t.equal(new Set(seen).size, seen.length, 'no event twice');
      t.same([...seen].sort(), [...committed].sort(), 'every committed event, no rolled-back one');
    },
  );
});
