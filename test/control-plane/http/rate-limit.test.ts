// Rate limits over real HTTP: the 11th create inside a minute is a 429 with Retry-After on both
// drivers; two app instances with their own pools on ONE Postgres database share the budget; the
// headers are on every limited answer; a failing Postgres store falls back to in-memory limits.
import { ErrorBody } from '@rexec/protocol';
import t from 'tap';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import { openDatabase } from '../../../packages/control-plane/src/db/open.js';
import { seedTiers, updateTier } from '../../../packages/control-plane/src/services/tiers.js';
import { DB_DRIVERS, freshDatabase } from '../../helpers/postgres.js';
import { call, newUser, startServer, type Answer } from './server.js';

const create = { image: 'alpine:latest' };

function limitHeaders(res: Answer) {
  return {
    limit: Number(res.headers.get('x-ratelimit-limit')),
    remaining: Number(res.headers.get('x-ratelimit-remaining')),
    reset: Number(res.headers.get('x-ratelimit-reset')),
  };
}

for (const driver of DB_DRIVERS) {
  void t.test(`the 11th create in a minute is 429 on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const judy = await newUser(server, 'judy');
    for (let i = 1; i <= 10; i++) {
      const res = await call(server, 'POST', '/api/v1/containers', {
        token: judy.token,
        json: create,
      });
      t.equal(res.status, 503, `create ${i} reaches the scheduler`);
      const headers = limitHeaders(res);
      t.equal(headers.limit, 10);
      t.equal(headers.remaining, 10 - i);
      t.ok(headers.reset >= 1 && headers.reset <= 60, 'reset within the window');
    }
    const limited = await call(server, 'POST', '/api/v1/containers', {
      token: judy.token,
      json: create,
    });
    t.equal(limited.status, 429);
    const body = ErrorBody.parse(limited.body);
    t.equal(body.code, 'rate_limited');
    const retryAfter = limited.headers.get('retry-after');
    t.match(retryAfter, /^\d+$/, 'Retry-After is whole seconds');
    t.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60);
    t.equal(body.retry_after, Number(retryAfter));
    t.equal(limitHeaders(limited).remaining, 0);

    const other = await newUser(server, 'kim');
    const fresh = await call(server, 'POST', '/api/v1/containers', {
      token: other.token,
      json: create,
    });
    t.equal(fresh.status, 503, 'budgets are per user');
    const list = await call(server, 'GET', '/api/v1/containers', { token: judy.token });
    t.equal(list.status, 200, 'categories are separate');
    t.equal(limitHeaders(list).limit, 120);
  });

  void t.test(`budgets follow the tier on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const leo = await newUser(server, 'leo', 'pro');
    await updateTier(server.database.db, 'pro', { rate_ops_per_min: 3 });
    const id = `ctr_${'0'.repeat(32)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await call(server, 'GET', `/api/v1/containers/${id}`, { token: leo.token })).status,
      );
    }
    t.same(statuses, [404, 404, 404, 429]);
  });
}

void t.test('two instances on one Postgres database share the budget', async (t) => {
  const target = await freshDatabase(t, 'pg');
  const first = await openDatabase(target);
  t.teardown(() => first.close());
  await migrateDatabase(first);
  await seedTiers(first.db);
  const second = await openDatabase(target);
  t.teardown(() => second.close());
  const a = await startServer(t, 'pg', { database: first });
  const b = await startServer(t, 'pg', { database: second });
  const mia = await newUser(a, 'mia');
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    const server = i % 2 === 0 ? a : b;
    statuses.push(
      (await call(server, 'POST', '/api/v1/containers', { token: mia.token, json: create })).status,
    );
  }
  t.same(statuses, [...Array<number>(10).fill(503), 429], 'the 11th across both is limited');
  const onA = await call(a, 'POST', '/api/v1/containers', { token: mia.token, json: create });
  t.equal(onA.status, 429);
});

void t.test('a failing Postgres store falls back to in-memory limits and says so', async (t) => {
  const server = await startServer(t, 'pg');
  const ned = await newUser(server, 'ned');
  await server.database.db.execute('DROP TABLE rate_limits');
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    statuses.push(
      (await call(server, 'POST', '/api/v1/containers', { token: ned.token, json: create })).status,
    );
  }
  t.same(statuses, [...Array<number>(10).fill(503), 429], 'still limited, per process');
  t.ok(
    server.logs.some(
      (line) => line['level'] === 40 && String(line['msg']).includes('rate limit store failed'),
    ),
    'a warning is logged',
  );
});
