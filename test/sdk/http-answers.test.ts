// How the SDK reads answers it cannot trust, against a real local HTTP server: malformed bodies
// and foreign error pages become `invalid_response` RexecErrors, a refused connection becomes
// `network_error`, and 429s are retried after Retry-After only as far as the policy allows.
import { createServer } from 'node:net';
import t from 'tap';
import { RexecClient, RexecError } from '@rexec/sdk';
import { reply, startLocalServer } from './local-server.js';
import { rejectionOf } from '../helpers/net.js';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, RexecError);

const TOKEN = `rexec_${'a'.repeat(64)}`;
const CONTAINER = {
  id: `ctr_${'1'.repeat(32)}`,
  name: 'box',
  image: 'alpine:latest',
  role: 'barebone',
  status: 'running',
  resources: { cpu_millicores: 500, memory_mb: 128, disk_mb: 1024, network_mbps: 10 },
  created_at: '2026-11-28T23:00:00.000Z',
};

void t.test('a valid answer is decoded and the token is sent as a bearer header', async (t) => {
  const server = await startLocalServer(t);
  let authorization: string | undefined;
  server.route('GET', `/api/v1/containers/box`, (request, response) => {
    authorization = request.headers.authorization;
    reply(200, CONTAINER)(request, response);
  });
  const client = new RexecClient({ baseUrl: `${server.url}/`, token: TOKEN });
  const got = await client.containers.get('box');
  t.equal(got.id, CONTAINER.id);
  t.equal(authorization, `Bearer ${TOKEN}`);
});

void t.test(
  'a body that does not match the schema is an invalid_response naming the field',
  async (t) => {
    const server = await startLocalServer(t);
    server.route('GET', '/api/v1/containers/box', reply(200, { ...CONTAINER, status: 'exploded' }));
    const client = new RexecClient({ baseUrl: server.url, token: TOKEN });
    const error = await rejection(client.containers.get('box'));
    t.equal(error.code, 'invalid_response');
    t.equal(error.status, 200);
    t.match(error.message, /status/);
    t.match(error.details, { issues: [{ path: 'status' }] });
  },
);

void t.test('a 2xx body that is not JSON is an invalid_response, not a crash', async (t) => {
  const server = await startLocalServer(t);
  server.route('GET', '/api/v1/me', reply(200, '<html>hello</html>'));
  const client = new RexecClient({ baseUrl: server.url, token: TOKEN });
  const error = await rejection(client.me());
  t.equal(error.code, 'invalid_response');
  t.match(error.message, /without a JSON body/);
});

void t.test('an error page from a proxy keeps its status and says what came back', async (t) => {
  const server = await startLocalServer(t);
  server.route(
    'GET',
    '/api/v1/me',
    reply(502, '<h1>Bad gateway</h1>', { 'x-request-id': 'req_proxy' }),
  );
  const client = new RexecClient({ baseUrl: server.url, token: TOKEN });
  const error = await rejection(client.me());
  t.equal(error.code, 'invalid_response');
  t.equal(error.status, 502);
  t.equal(error.requestId, 'req_proxy');
  t.match(error.message, /HTTP 502.*Bad gateway/);
});

void t.test('a Rexec error body becomes its code, details and request id', async (t) => {
  const server = await startLocalServer(t);
  server.route(
    'POST',
    '/api/v1/containers',
    reply(403, {
      error: 'You already have 5 containers.',
      code: 'container_limit_reached',
      limit: 5,
      current: 5,
      tier: 'community',
      request_id: 'req_1',
    }),
  );
  const client = new RexecClient({ baseUrl: server.url, token: TOKEN });
  const error = await rejection(client.containers.create({ image: 'alpine:latest' }));
  t.equal(error.status, 403);
  t.equal(error.code, 'container_limit_reached');
  t.equal(error.message, 'You already have 5 containers.');
  t.same(error.details, { limit: 5, current: 5, tier: 'community' });
  t.equal(error.requestId, 'req_1');
});

void t.test('a 429 is retried after its Retry-After when retry is on', async (t) => {
  const server = await startLocalServer(t);
  let calls = 0;
  server.route('GET', '/api/v1/me', (request, response) => {
    calls += 1;
    if (calls === 1) {
      reply(
        429,
        { error: 'Slow down.', code: 'rate_limited', retry_after: 1 },
        { 'retry-after': '1' },
      )(request, response);
      return;
    }
    reply(200, {
      user: { id: `usr_${'2'.repeat(32)}`, name: 'u', tier: 'community', is_admin: false },
      tier: {
        name: 'community',
        cpu_millicores: 2000,
        memory_mb: 2048,
        disk_mb: 10240,
        network_mbps: 10,
        max_containers: 5,
        session_hours: 50,
        rate_limits: { create_per_minute: 10, operations_per_minute: 60, list_per_minute: 120 },
      },
      usage: { containers: 0, cpu_millicores: 0, memory_mb: 0, disk_mb: 0 },
    })(request, response);
  });
  const client = new RexecClient({ baseUrl: server.url, token: TOKEN, retry: true });
  const started = Date.now();
  const me = await client.me();
  t.equal(me.user.name, 'u');
  t.equal(calls, 2, 'sent twice');
  t.ok(Date.now() - started >= 950, 'waited out the Retry-After');
});

void t.test('retries are bounded and a long Retry-After is not waited out', async (t) => {
  const server = await startLocalServer(t);
  server.route(
    'GET',
    '/api/v1/tokens',
    reply(429, { error: 'Slow down.', code: 'rate_limited', retry_after: 0 }),
  );
  server.route(
    'GET',
    '/api/v1/roles',
    reply(429, { error: 'Slow down.', code: 'rate_limited', retry_after: 3600 }),
  );
  const bounded = new RexecClient({ baseUrl: server.url, token: TOKEN, retry: { maxRetries: 2 } });
  const error = await rejection(bounded.tokens.list());
  t.equal(error.code, 'rate_limited');
  t.equal(error.retryAfter, 0);
  t.equal(
    server.requests.filter((r) => r === 'GET /api/v1/tokens').length,
    3,
    'one try and two retries',
  );

  const long = await rejection(bounded.roles());
  t.equal(long.retryAfter, 3600);
  t.equal(server.requests.filter((r) => r === 'GET /api/v1/roles').length, 1, 'not retried');

  const off = new RexecClient({ baseUrl: server.url, token: TOKEN });
  await rejection(off.tokens.list());
  t.equal(
    server.requests.filter((r) => r === 'GET /api/v1/tokens').length,
    4,
    'no retry by default',
  );
});

void t.test('a refused connection is a network_error with status 0', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  const client = new RexecClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN });
  const error = await rejection(client.containers.list());
  t.equal(error.code, 'network_error');
  t.equal(error.status, 0);
  t.match(error.message, /could not reach/);
});

void t.test('bad options are refused at construction with a clear message', (t) => {
  t.throws(() => new RexecClient({ baseUrl: 'not a url', token: TOKEN }), /absolute http\(s\) URL/);
  t.throws(() => new RexecClient({ baseUrl: 'ftp://x', token: TOKEN }), /http or https/);
  t.throws(() => new RexecClient({ baseUrl: 'http://x', token: '' }), /non-empty/);
  t.throws(() => new RexecClient({ baseUrl: 'http://x', token: 'a b' }), /whitespace/);
  t.throws(
    () => new RexecClient({ baseUrl: 'http://x', token: TOKEN, retry: { maxRetries: -1 } }),
    /maxRetries/,
  );
  t.throws(
    () =>
      new RexecClient({ baseUrl: 'http://x', token: TOKEN }).terminal.connect('box', { cols: 0 }),
    /cols must be an integer/,
  );
  t.throws(
    () =>
      new RexecClient({ baseUrl: 'http://x', token: TOKEN }).terminal.connect('box', {
        session: 'a b',
      }),
    /session must be/,
  );
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
    t.throws(
      () => new RexecClient({ baseUrl: 'http://x', token: TOKEN }).terminal.connect('box'),
      /@rexec\/sdk\/node/,
      'the browser entry on a runtime without WebSocket points at the Node entry',
    );
  }
  t.end();
});
