// Token scopes, expiry and disabled users over real HTTP on Postgres: every registered route has a
// scope in the one table (a route added without one fails here), a token is refused outside its
// scopes with 403 insufficient_scope, a token never mints one with more scopes or a later expiry,
// an expired token and a disabled user's tokens are 401 on both auth paths.
import { pino } from 'pino';
import type { Token } from '@rexec/protocol';
import { ErrorBody, TokenCreated, TokenList, User } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { buildApp } from '../../../packages/control-plane/src/http/app.js';
import { createRateLimiter } from '../../../packages/control-plane/src/http/rate-limit.js';
import { ROUTE_SCOPES, routeKey } from '../../../packages/control-plane/src/http/route-scopes.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { call, newUser, preparedDatabase, startServer, type TestServer } from './server.js';

async function mint(server: TestServer, token: string, json: Record<string, unknown>) {
  return call(server, 'POST', '/api/v1/tokens', { token, json });
}

void t.test('every registered route needing a token has exactly one scope', async (t) => {
  const { database } = await preparedDatabase(t, 'pglite');
  const log = pino({ level: 'silent' });
  const app = await buildApp({
    database,
    config: { bind: '127.0.0.1', port: 0 },
    log,
    placer: createPlacer({
      db: database.db,
      strategy: 'binpack',
      cpuOvercommit: DEFAULT_CPU_OVERCOMMIT,
    }),
    rateLimiter: createRateLimiter({ database, log }),
  });
  t.teardown(() => app.close());
  t.ok(app.protectedRoutes.length > 20, 'the routes were seen as they registered');
  const registered = new Set<string>();
  for (const route of app.protectedRoutes) {
    const key = routeKey(route.method, route.url);
    registered.add(key);
    const scope = ROUTE_SCOPES[key];
    t.ok(scope, `${key} has a scope in route-scopes.ts`);
    if (route.access === 'admin') t.equal(scope, 'admin', `${key} is an admin route`);
    else t.not(scope, 'admin', `${key} is a user route`);
  }
  for (const key of Object.keys(ROUTE_SCOPES)) {
    t.ok(registered.has(key), `${key} in the table is a registered route`);
  }
});

void t.test('scopes, expiry and disabled users', async (t) => {
  const server = await startServer(t, 'pg');
  const carol = await newUser(server, 'carol');

  void t.test('first tokens have every scope their user may hold', async (t) => {
    const mine = TokenList.parse(
      (await call(server, 'GET', '/api/v1/tokens', { token: carol.token })).body,
    );
    t.same(mine.tokens[0]?.scopes, ['read', 'write']);
    t.equal(mine.tokens[0]?.expires_at, undefined, 'never expires');
    const admins = TokenList.parse(
      (await call(server, 'GET', '/api/v1/tokens', { token: server.adminToken })).body,
    );
    t.same(admins.tokens[0]?.scopes, ['read', 'write', 'admin']);
  });

  void t.test('a read token reads and is refused every change', async (t) => {
    const created = await mint(server, carol.token, { name: 'viewer', scopes: ['read'] });
    t.equal(created.status, 201);
    const viewer = TokenCreated.parse(created.body);
    t.same(viewer.scopes, ['read']);
    t.equal((await call(server, 'GET', '/api/v1/containers', { token: viewer.token })).status, 200);
    t.equal((await call(server, 'GET', '/api/v1/me', { token: viewer.token })).status, 200);
    for (const [method, path, json] of [
      ['POST', '/api/v1/containers', { image: 'alpine:latest' }],
      ['POST', '/api/v1/tokens', { name: 'more', scopes: ['read'] }],
      ['DELETE', `/api/v1/tokens/${viewer.id}`, undefined],
      ['GET', '/api/v1/containers/some-box/terminal', undefined],
    ] as const) {
      const res = await call(server, method, path, { token: viewer.token, json });
      t.equal(res.status, 403, `${method} ${path}`);
      t.match(ErrorBody.parse(res.body), { code: 'insufficient_scope', required: 'write' });
    }
  });

  void t.test('an admin token without the admin scope cannot use admin routes', async (t) => {
    const created = await mint(server, server.adminToken, { name: 'ops', scopes: ['read'] });
    const ops = TokenCreated.parse(created.body);
    const res = await call(server, 'GET', '/api/v1/users', { token: ops.token });
    t.equal(res.status, 403);
    t.match(res.body, { code: 'insufficient_scope', required: 'admin' });
    const full = await call(server, 'GET', '/api/v1/users', { token: server.adminToken });
    t.equal(full.status, 200);
  });

  void t.test('a token never mints more than it holds', async (t) => {
    const admin = await mint(server, carol.token, { name: 'x', scopes: ['admin'] });
    t.equal(admin.status, 403);
    t.equal(admin.body.code, 'forbidden', 'admin scope is for administrators only');
    const writer = TokenCreated.parse(
      (await mint(server, carol.token, { name: 'writer', scopes: ['write'] })).body,
    );
    const wider = await mint(server, writer.token, { name: 'y', scopes: ['read', 'write'] });
    t.equal(wider.status, 403);
    t.match(wider.body, { code: 'insufficient_scope', required: 'read' });
    const same = TokenCreated.parse((await mint(server, writer.token, { name: 'z' })).body);
    t.same(same.scopes, ['write'], 'omitted scopes are the minting token’s own');

    const week = TokenCreated.parse(
      (await mint(server, carol.token, { name: 'week', expires_in_days: 7 })).body,
    );
    t.ok(week.expires_at, 'an expiry is shown');
    const longer = await mint(server, week.token, { name: 'month', expires_in_days: 30 });
    t.equal(longer.status, 400);
    t.match(longer.body, {
      code: 'invalid_request',
      issues: [{ path: 'expires_in_days' }],
    });
    const inherited = TokenCreated.parse((await mint(server, week.token, { name: 'inh' })).body);
    t.equal(inherited.expires_at, week.expires_at, 'omitted lifetime is the minting token’s own');
    const shorter = TokenCreated.parse(
      (await mint(server, week.token, { name: 'day', expires_in_days: 1 })).body,
    );
    t.ok(Date.parse(shorter.expires_at ?? '') < Date.parse(week.expires_at ?? ''));
    for (const bad of [
      { name: 'b', scopes: [] },
      { name: 'b', scopes: ['read', 'read'] },
      { name: 'b', scopes: ['root'] },
      { name: 'b', expires_in_days: 0 },
      { name: 'b', expires_in_days: 1.5 },
    ]) {
      t.equal((await mint(server, carol.token, bad)).status, 400, JSON.stringify(bad));
    }
  });

  void t.test('an expired token is 401 and no longer listed', async (t) => {
    const created = TokenCreated.parse(
      (await mint(server, carol.token, { name: 'old', expires_in_days: 1 })).body,
    );
    await server.database.db.execute(
      sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${created.id}`,
    );
    // GET /containers takes the one-round-trip path, GET /users/… admin-style two steps, /me both.
    for (const path of ['/api/v1/containers', '/api/v1/me', '/api/v1/tokens']) {
      const res = await call(server, 'GET', path, { token: created.token });
      t.equal(res.status, 401, path);
      t.match(res.body, { code: 'unauthorized', error: /expired/ });
    }
    const list = TokenList.parse(
      (await call(server, 'GET', '/api/v1/tokens', { token: carol.token })).body,
    );
    t.notOk(list.tokens.some((token: Token) => token.id === created.id));
  });

  void t.test('a disabled user’s tokens are 401 user_disabled until enabled', async (t) => {
    const dan = await newUser(server, 'dan');
    const patched = await call(server, 'PATCH', `/api/v1/users/${dan.id}`, {
      token: server.adminToken,
      json: { disabled: true },
    });
    t.equal(patched.status, 200);
    t.equal(User.parse(patched.body).disabled, true);
    for (const path of ['/api/v1/containers', '/api/v1/me']) {
      const res = await call(server, 'GET', path, { token: dan.token });
      t.equal(res.status, 401, path);
      t.equal(res.body.code, 'user_disabled');
      t.equal(res.headers.get('www-authenticate'), 'Bearer realm="rexec"');
    }
    const listed = await call(server, 'GET', '/api/v1/users', { token: server.adminToken });
    t.ok((listed.body.users as User[]).some((user) => user.id === dan.id && user.disabled));
    await call(server, 'PATCH', `/api/v1/users/${dan.id}`, {
      token: server.adminToken,
      json: { disabled: false },
    });
    t.equal((await call(server, 'GET', '/api/v1/me', { token: dan.token })).status, 200);
  });

  void t.test('an administrator cannot disable or delete themselves', async (t) => {
    const me = await call(server, 'GET', '/api/v1/me', { token: server.adminToken });
    const id = me.body.user.id as string;
    const disable = await call(server, 'PATCH', `/api/v1/users/${id}`, {
      token: server.adminToken,
      json: { disabled: true },
    });
    t.equal(disable.status, 403);
    t.equal(disable.body.code, 'forbidden');
    const remove = await call(server, 'DELETE', `/api/v1/users/${id}`, {
      token: server.adminToken,
    });
    t.equal(remove.status, 403);
    t.equal((await call(server, 'GET', '/api/v1/me', { token: server.adminToken })).status, 200);
  });
});
