// The audit log over real HTTP on real Postgres: every mutating route in the OpenAPI document writes
// an entry with a named action (refused calls included), entries say who, what, from where and how
// it ended, admins query them, and the retention sweep deletes old ones on one replica at a time.
import { AuditList, TokenCreated } from '@rexec/protocol';
import t from 'tap';
import { AUDIT_ACTIONS } from '../../../packages/control-plane/src/http/audit-actions.js';
import { createAuditRetention } from '../../../packages/control-plane/src/lifecycle/audit-retention.js';
import { call, liftRateLimits, newUser, startServer } from '../http/server.js';

const MUTATING = new Set(['post', 'put', 'patch', 'delete']);
const silent = { info: () => undefined, warn: () => undefined } as never;

void t.test('audit log', async (t) => {
  const server = await startServer(t, 'pg');
  await liftRateLimits(server);
  const admin = server.adminToken;
  const db = server.database.db;
  const pool = server.database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  const entryFor = async (requestId: string | null): Promise<Record<string, unknown>[]> => {
    const result = await pool.query<Record<string, unknown>>(
      'select * from audit_log where request_id = $1',
      [requestId ?? ''],
    );
    return result.rows;
  };

  void t.test('every mutating route in the OpenAPI document writes a named entry', async (t) => {
    const doc = (await call(server, 'GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => MUTATING.has(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    t.ok(routes.length >= 20, `found ${routes.length} mutating routes`);
    for (const { method, path } of routes) {
      const route = path.replace(/\{(\w+)\}/g, ':$1');
      const concrete = path.replace(/\{(\w+)\}/g, 'nonexistent');
      const res = await call(server, method, `${concrete}?path=/x`, { token: admin, json: {} });
      const rows = await entryFor(res.headers.get('x-request-id'));
      t.equal(rows.length, 1, `${method} ${route} writes one entry`);
      const expected = AUDIT_ACTIONS[`${method} ${route}`];
      t.ok(expected, `${method} ${route} has a named action in audit-actions.ts`);
      t.match(rows[0], {
        action: expected?.action,
        outcome: res.status < 400 ? 'success' : 'failure',
        status_code: res.status,
      });
    }
  });

  void t.test('an entry says who, what, from where and how it ended', async (t) => {
    const alice = await newUser(server, 'alice');
    const created = await call(server, 'POST', '/api/v1/tokens', {
      token: alice.token,
      json: { name: 'ci' },
      headers: { 'user-agent': 'audit-test/1' },
    });
    t.equal(created.status, 201);
    const token = TokenCreated.parse(created.body);
    const [entry] = await entryFor(created.headers.get('x-request-id'));
    t.match(entry, {
      actor_user_id: alice.id,
      action: 'token.create',
      target_type: 'token',
      target_id: token.id,
      ip: '127.0.0.1',
      user_agent: 'audit-test/1',
      outcome: 'success',
      status_code: 201,
      error_code: null,
    });
    t.match(entry?.actor_token_id, /^tok_/);

    const refused = await call(server, 'POST', '/api/v1/users', {
      token: alice.token,
      json: { name: 'x' },
    });
    t.equal(refused.status, 403);
    t.match((await entryFor(refused.headers.get('x-request-id')))[0], {
      actor_user_id: alice.id,
      action: 'user.create',
      outcome: 'failure',
      status_code: 403,
      error_code: 'forbidden',
    });
    const anonymous = await call(server, 'DELETE', `/api/v1/tokens/${token.id}`);
    t.equal(anonymous.status, 401);
    t.match((await entryFor(anonymous.headers.get('x-request-id')))[0], {
      actor_user_id: null,
      action: 'token.revoke',
      target_id: token.id,
      error_code: 'unauthorized',
    });

    const list = await call(
      server,
      'GET',
      `/api/v1/audit?user_id=${alice.id}&action=token.create`,
      { token: admin },
    );
    t.equal(list.status, 200);
    const { entries } = AuditList.parse(list.body);
    t.same(
      entries.map((e) => e.target_id),
      [token.id],
    );
    t.match(entries[0], {
      actor_user_id: alice.id,
      outcome: 'success',
      status_code: 201,
      user_agent: 'audit-test/1',
    });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = AuditList.parse(
      (await call(server, 'GET', `/api/v1/audit?since=${future}`, { token: admin })).body,
    );
    t.same(none.entries, []);
    const paged = AuditList.parse(
      (await call(server, 'GET', '/api/v1/audit?limit=2', { token: admin })).body,
    );
    t.equal(paged.entries.length, 2);
    const next = AuditList.parse(
      (
        await call(server, 'GET', `/api/v1/audit?limit=2&cursor=${paged.next_cursor}`, {
          token: admin,
        })
      ).body,
    );
    t.ok(Number(next.entries[0]?.id) < Number(paged.entries[1]?.id), 'the next page is older');
    const notAdmin = await call(server, 'GET', '/api/v1/audit', { token: alice.token });
    t.equal(notAdmin.status, 403);
  });

  void t.test('the retention sweep deletes old entries, one replica at a time', async (t) => {
    await pool.query(
      `insert into audit_log (at, action, target_type, ip, request_id, outcome, status_code)
       values (now() - interval '400 days', 'container.delete', 'container', '127.0.0.1', 'req_old',
         'success', 204)`,
    );
    const retention = createAuditRetention({ db, log: silent, retentionDays: 365 });
    const other = await pool.connect();
    try {
      await other.query('begin');
      await other.query(
        `select pg_advisory_xact_lock(hashtextextended('rexec.audit_retention', 0))`,
      );
      t.equal(await retention.sweepOnce(), null, 'another replica is sweeping: skipped');
      await other.query('commit');
    } finally {
      other.release();
    }
    t.equal(await retention.sweepOnce(), 1, 'only the entry past the retention');
    t.same(await entryFor('req_old'), []);
  });
});
