// Authentication and API tokens over real HTTP on both drivers: every way a token can be missing
// or wrong is 401, admin routes are 403 for users, and a token's whole life (create, list without
// secret, revoke → 401 on next use).
import { ErrorBody, TokenCreated, TokenList } from '@rexec/protocol';
import t from 'tap';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { call, newUser, startServer } from './server.js';

for (const driver of DB_DRIVERS) {
  void t.test(`authentication on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const dave = await newUser(server, 'dave');

    void t.test('missing, malformed, unknown and revoked tokens are 401', async (t) => {
      const revoked = await call(server, 'POST', '/api/v1/tokens', {
        token: dave.token,
        json: { name: 'short-lived' },
      });
      const secret = TokenCreated.parse(revoked.body);
      const gone = await call(server, 'DELETE', `/api/v1/tokens/${secret.id}`, {
        token: dave.token,
      });
      t.equal(gone.status, 204);
      const cases: [string, Record<string, string>][] = [
        ['missing', {}],
        ['empty', { authorization: '' }],
        ['not bearer', { authorization: `Basic ${dave.token}` }],
        ['bearer without token', { authorization: 'Bearer' }],
        ['two tokens', { authorization: `Bearer ${dave.token} ${dave.token}` }],
        ['malformed token', { authorization: 'Bearer hunter2' }],
        ['unknown token', { authorization: `Bearer rexec_${'ab'.repeat(32)}` }],
        ['revoked token', { authorization: `Bearer ${secret.token}` }],
      ];
      for (const path of ['/api/v1/containers', '/api/v1/me', '/api/v1/users', '/api/v1/tokens']) {
        for (const [label, headers] of cases) {
          const res = await call(server, 'GET', path, { headers });
          t.equal(res.status, 401, `${path} ${label}`);
          t.equal(ErrorBody.parse(res.body).code, 'unauthorized');
          t.equal(res.headers.get('www-authenticate'), 'Bearer realm="rexec"');
        }
      }
    });

    void t.test('the bearer scheme is case-insensitive', async (t) => {
      const res = await call(server, 'GET', '/api/v1/me', {
        headers: { authorization: `bearer ${dave.token}` },
      });
      t.equal(res.status, 200);
    });

    void t.test('admin routes are 403 forbidden for a normal user', async (t) => {
      const hostId = `hst_${'0'.repeat(32)}`;
      for (const [method, path, json] of [
        ['GET', '/api/v1/users', undefined],
        ['POST', '/api/v1/users', { name: 'mallory' }],
        ['PATCH', `/api/v1/users/usr_${'0'.repeat(32)}`, { tier: 'pro' }],
        ['PATCH', '/api/v1/tiers/community', { max_containers: 100 }],
        ['GET', '/api/v1/hosts', undefined],
        ['POST', `/api/v1/hosts/${hostId}/cordon`, undefined],
        ['POST', '/api/v1/hosts/join-tokens', {}],
      ] as const) {
        const res = await call(server, method, path, { token: dave.token, json });
        t.equal(res.status, 403, `${method} ${path}`);
        t.equal(ErrorBody.parse(res.body).code, 'forbidden');
      }
    });

    void t.test('health endpoints need no token', async (t) => {
      t.equal((await call(server, 'GET', '/healthz')).status, 200);
      const ready = await call(server, 'GET', '/readyz');
      t.equal(ready.status, 200);
      t.same(ready.body, { status: 'ready' });
    });
  });

  void t.test(`token lifecycle on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const erin = await newUser(server, 'erin');
    const frank = await newUser(server, 'frank');

    const created = await call(server, 'POST', '/api/v1/tokens', {
      token: erin.token,
      json: { name: 'ci' },
    });
    t.equal(created.status, 201);
    const secret = TokenCreated.parse(created.body);
    t.match(secret.token, /^rexec_[0-9a-f]{64}$/);
    t.equal(secret.token_prefix, secret.token.slice(0, secret.token_prefix.length));

    t.equal((await call(server, 'GET', '/api/v1/me', { token: secret.token })).status, 200);

    const listed = await call(server, 'GET', '/api/v1/tokens', { token: erin.token });
    t.equal(listed.status, 200);
    const tokens = TokenList.parse(listed.body).tokens;
    t.same(
      tokens.map((token) => token.name),
      ['default', 'ci'],
    );
    t.notMatch(JSON.stringify(listed.body), secret.token, 'no secret in the list');
    t.notOk('token' in (listed.body.tokens[1] as object), 'no token field in the list');

    const foreign = await call(server, 'DELETE', `/api/v1/tokens/${secret.id}`, {
      token: frank.token,
    });
    t.equal(foreign.status, 404, 'another user cannot revoke it');

    const badId = await call(server, 'DELETE', '/api/v1/tokens/not-an-id', { token: erin.token });
    t.equal(badId.status, 400);

    const revoke = await call(server, 'DELETE', `/api/v1/tokens/${secret.id}`, {
      token: erin.token,
    });
    t.equal(revoke.status, 204);
    const after = await call(server, 'GET', '/api/v1/me', { token: secret.token });
    t.equal(after.status, 401, 'a revoked token is refused at once');
    const relisted = TokenList.parse(
      (await call(server, 'GET', '/api/v1/tokens', { token: erin.token })).body,
    );
    t.same(
      relisted.tokens.map((token) => token.name),
      ['default'],
    );
    const twice = await call(server, 'DELETE', `/api/v1/tokens/${secret.id}`, {
      token: erin.token,
    });
    t.equal(twice.status, 404);

    for (const json of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'ok', extra: 1 }]) {
      const res = await call(server, 'POST', '/api/v1/tokens', { token: erin.token, json });
      t.equal(res.status, 400, JSON.stringify(json).slice(0, 40));
    }
  });
}
