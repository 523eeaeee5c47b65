// Exec and the files routes count as container operations (DESIGN §3, §8.1, §8.2): each answer,
// even a 404 for a container the caller does not have, carries the operations budget's headers
// and takes one from it, the same budget a container `get` spends; a background exec's status is
// left out so clients may poll it (README, "Exec and files"). No agent is needed: the limit is
// taken before the route looks for the container.
import { ErrorBody } from '@rexec/protocol';
import t from 'tap';
import { call, newUser, startServer } from './server.js';

const CTR = '/api/v1/containers/ctr_00000000000000000000000000000000';

const ROUTES: { method: string; path: string; json?: unknown; raw?: string }[] = [
  { method: 'POST', path: `${CTR}/exec`, json: { command: 'true' } },
  {
    method: 'POST',
    path: `${CTR}/exec/exe_00000000000000000000000000000000/signal`,
    json: { signal: 'TERM' },
  },
  { method: 'GET', path: `${CTR}/files?path=/etc/hostname` },
  { method: 'PUT', path: `${CTR}/files?path=/tmp/x`, raw: 'x' },
  { method: 'GET', path: `${CTR}/files/list?path=/` },
  { method: 'GET', path: `${CTR}/files/stat?path=/` },
  { method: 'DELETE', path: `${CTR}/files?path=/tmp/x` },
  { method: 'POST', path: `${CTR}/files/mkdir`, json: { path: '/tmp/d' } },
  { method: 'POST', path: `${CTR}/files/move`, json: { from: '/tmp/a', to: '/tmp/b' } },
];

void t.test('exec and files spend the operations budget', async (t) => {
  const server = await startServer(t, 'pglite');
  const user = await newUser(server, 'ops');
  const first = await call(server, 'GET', CTR, { token: user.token });
  t.equal(first.status, 404);
  const limit = Number(first.headers.get('x-ratelimit-limit'));
  let remaining = Number(first.headers.get('x-ratelimit-remaining'));
  t.ok(limit > ROUTES.length, `the operations limit (${limit}) leaves room for every route`);
  for (const route of ROUTES) {
    const answer = await call(server, route.method, route.path, {
      token: user.token,
      ...(route.json === undefined ? {} : { json: route.json }),
      ...(route.raw === undefined ? {} : { raw: route.raw }),
    });
    const name = `${route.method} ${route.path.slice(CTR.length)}`;
    t.equal(answer.status, 404, `${name}: another user's or no container is 404`);
    t.equal(ErrorBody.parse(answer.body).code, 'not_found', name);
    t.equal(Number(answer.headers.get('x-ratelimit-limit')), limit, `${name}: operations limit`);
    t.equal(
      Number(answer.headers.get('x-ratelimit-remaining')),
      remaining - 1,
      `${name}: spent one`,
    );
    remaining -= 1;
  }
  const status = await call(server, 'GET', `${CTR}/exec/exe_00000000000000000000000000000000`, {
    token: user.token,
  });
  t.equal(status.status, 404);
  t.equal(status.headers.get('x-ratelimit-limit'), null, 'polling a status spends nothing');
});
