// The containers routes over real HTTP on both drivers: shapes checked with the protocol schemas,
// ownership (another user's container is 404), the 400 cases, quotas and no_capacity. Containers
// are inserted directly (rows.ts) because create answers 503 no_capacity until agents exist.
import {
  Container,
  ContainerDeleting,
  ContainerList,
  ErrorBody,
  NoCapacityDetails,
} from '@rexec/protocol';
import t from 'tap';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertContainer, insertHost } from './rows.js';
import { call, liftRateLimits, newUser, startServer } from './server.js';

for (const driver of DB_DRIVERS) {
  void t.test(`containers API on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const alice = await newUser(server, 'alice');
    const bob = await newUser(server, 'bob');
    const a1 = await insertContainer(server.database, alice.id, { name: 'one' });
    const a2 = await insertContainer(server.database, alice.id, {
      name: 'two',
      status: 'running',
      desiredStatus: 'running',
      statusReason: null,
      startedAt: new Date(),
    });
    const a3 = await insertContainer(server.database, alice.id, { name: 'three' });
    const b1 = await insertContainer(server.database, bob.id, { name: 'one' });

    void t.test('lists only the caller’s containers with count and the tier limit', async (t) => {
      const res = await call(server, 'GET', '/api/v1/containers', { token: alice.token });
      t.equal(res.status, 200);
      const list = ContainerList.parse(res.body);
      t.same(
        list.containers.map((c) => c.id),
        [a1.id, a2.id, a3.id],
      );
      t.equal(list.count, 3);
      t.equal(list.limit, 5, 'community tier allows 5 containers');
      t.equal(list.next_cursor, undefined);
    });

    void t.test('pages with limit and cursor while count stays the total', async (t) => {
      const first = await call(server, 'GET', '/api/v1/containers?limit=2', { token: alice.token });
      const page1 = ContainerList.parse(first.body);
      t.same(
        page1.containers.map((c) => c.name),
        ['one', 'two'],
      );
      t.equal(page1.count, 3);
      t.type(page1.next_cursor, 'string');
      const second = await call(
        server,
        'GET',
        `/api/v1/containers?limit=2&cursor=${page1.next_cursor ?? ''}`,
        { token: alice.token },
      );
      const page2 = ContainerList.parse(second.body);
      t.same(
        page2.containers.map((c) => c.name),
        ['three'],
      );
      t.equal(page2.next_cursor, undefined);
      t.equal(page2.count, 3);
    });

    void t.test('filters by status', async (t) => {
      const res = await call(server, 'GET', '/api/v1/containers?status=running', {
        token: alice.token,
      });
      const list = ContainerList.parse(res.body);
      t.same(
        list.containers.map((c) => c.name),
        ['two'],
      );
      t.equal(list.count, 3);
    });

    void t.test('rejects a bad list query with 400', async (t) => {
      for (const query of ['limit=0', 'limit=101', 'limit=abc', 'status=nope', 'cursor=zzz']) {
        const res = await call(server, 'GET', `/api/v1/containers?${query}`, {
          token: alice.token,
        });
        t.equal(res.status, 400, query);
        t.equal(ErrorBody.parse(res.body).code, 'invalid_request', query);
      }
    });

    void t.test('a cursor whose timestamp is out of range is 400, not 500', async (t) => {
      // Safe integers, but beyond what a Date (9e15) or Postgres (-8e15, year -251000) holds.
      for (const ms of [9e15, -8e15, 8.64e15 + 1]) {
        const cursor = Buffer.from(JSON.stringify([ms, a2.id])).toString('base64url');
        const res = await call(server, 'GET', `/api/v1/containers?cursor=${cursor}`, {
          token: alice.token,
        });
        t.equal(res.status, 400, String(ms));
        t.match(ErrorBody.parse(res.body), {
          code: 'invalid_request',
          issues: [{ path: 'cursor' }],
        });
      }
    });

    void t.test('gets a container by id and by name', async (t) => {
      for (const ref of [a2.id, 'two']) {
        const res = await call(server, 'GET', `/api/v1/containers/${ref}`, { token: alice.token });
        t.equal(res.status, 200);
        const container = Container.parse(res.body);
        t.equal(container.id, a2.id);
        t.equal(container.status, 'running');
        t.type(container.started_at, 'string');
      }
    });

    void t.test(
      'another user’s container is 404 by id, and by name finds only one’s own',
      async (t) => {
        const byId = await call(server, 'GET', `/api/v1/containers/${b1.id}`, {
          token: alice.token,
        });
        t.equal(byId.status, 404);
        t.equal(ErrorBody.parse(byId.body).code, 'not_found');
        const byName = await call(server, 'GET', '/api/v1/containers/one', { token: bob.token });
        t.equal(Container.parse(byName.body).id, b1.id);
        for (const [method, suffix] of [
          ['POST', '/start'],
          ['POST', '/stop'],
          ['DELETE', ''],
        ] as const) {
          const res = await call(server, method, `/api/v1/containers/${b1.id}${suffix}`, {
            token: alice.token,
          });
          t.equal(res.status, 404, `${method} ${suffix}`);
        }
      },
    );

    void t.test('path ids that are neither ids nor names are 400', async (t) => {
      for (const ref of ['Bad_Name', 'a'.repeat(64), 'ctr_%20', '%00']) {
        const res = await call(server, 'GET', `/api/v1/containers/${ref}`, { token: alice.token });
        t.equal(res.status, 400, ref);
        const body = ErrorBody.parse(res.body);
        t.equal(body.code, 'invalid_request');
        t.equal(body.issues?.[0]?.path, 'id');
      }
      const unknown = await call(server, 'GET', '/api/v1/containers/ctr_' + '0'.repeat(32), {
        token: alice.token,
      });
      t.equal(unknown.status, 404);
    });

    void t.test('start and stop are idempotent and need a host otherwise', async (t) => {
      const stop = await call(server, 'POST', '/api/v1/containers/one/stop', {
        token: alice.token,
      });
      t.equal(stop.status, 200);
      t.equal(Container.parse(stop.body).status, 'stopped');
      const startRunning = await call(server, 'POST', '/api/v1/containers/two/start', {
        token: alice.token,
        json: {},
      });
      t.equal(startRunning.status, 200);
      t.equal(Container.parse(startRunning.body).status, 'running');
      const start = await call(server, 'POST', '/api/v1/containers/one/start', {
        token: alice.token,
        headers: { 'content-type': 'application/json' },
      });
      t.equal(start.status, 503);
      t.equal(ErrorBody.parse(start.body).code, 'host_unavailable');
      await insertContainer(server.database, alice.id, { name: 'fresh', status: 'creating' });
      const busy = await call(server, 'POST', '/api/v1/containers/fresh/stop', {
        token: alice.token,
      });
      t.equal(busy.status, 409);
      t.match(busy.body, { code: 'invalid_state', status: 'creating' });
    });

    void t.test(
      'delete removes an unplaced container (204) and defers a placed one (202)',
      async (t) => {
        const gone = await call(server, 'DELETE', `/api/v1/containers/${a3.id}`, {
          token: alice.token,
        });
        t.equal(gone.status, 204);
        t.equal(gone.body, undefined);
        const after = await call(server, 'GET', `/api/v1/containers/${a3.id}`, {
          token: alice.token,
        });
        t.equal(after.status, 404);
        const again = await call(server, 'DELETE', `/api/v1/containers/${a3.id}`, {
          token: alice.token,
        });
        t.equal(again.status, 404);

        const host = await insertHost(server.database, { status: 'unreachable' });
        const placed = await insertContainer(server.database, alice.id, {
          name: 'placed',
          hostId: host.id,
        });
        const deferred = await call(server, 'DELETE', '/api/v1/containers/placed', {
          token: alice.token,
        });
        t.equal(deferred.status, 202);
        t.same(ContainerDeleting.parse(deferred.body), { id: placed.id, status: 'deleting' });
        const shown = await call(server, 'GET', '/api/v1/containers/placed', {
          token: alice.token,
        });
        t.equal(Container.parse(shown.body).status, 'deleting');
      },
    );
  });

  void t.test(`creating containers on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    await liftRateLimits(server);
    const carol = await newUser(server, 'carol');
    const create = (json: unknown) =>
      call(server, 'POST', '/api/v1/containers', { token: carol.token, json });
    // Read back through the API: `count` is every live container the user has.
    const stored = async () =>
      ContainerList.parse(
        (await call(server, 'GET', '/api/v1/containers', { token: carol.token })).body,
      ).count;

    void t.test('a valid create answers 503 no_capacity and keeps nothing', async (t) => {
      const res = await create({ image: 'debian:bookworm', name: 'box', role: 'python' });
      t.equal(res.status, 503);
      t.equal(ErrorBody.parse(res.body).code, 'no_capacity');
      t.match(NoCapacityDetails.parse(res.body), {
        reason: 'no_host_online',
        requested_resources: { cpu_millicores: 1000, memory_mb: 1024, disk_mb: 5120 },
        hosts_online: 0,
        largest_fit: null,
      });
      t.match(ErrorBody.parse(res.body).error, /No host is online/);
      t.equal(await stored(), 0);
    });

    void t.test('a resource above the tier maximum is 403 with the details', async (t) => {
      const res = await create({ image: 'alpine:latest', resources: { memory_mb: 4096 } });
      t.equal(res.status, 403);
      t.match(ErrorBody.parse(res.body), {
        code: 'resource_limit_exceeded',
        resource: 'memory_mb',
        requested: 4096,
        limit: 2048,
        tier: 'community',
      });
    });

    void t.test('bad bodies are 400 invalid_request naming the field', async (t) => {
      const cases: [string, unknown, string][] = [
        ['missing image', {}, 'image'],
        ['unknown image', { image: 'centos:7' }, 'image'],
        ['wrong type', { image: 'alpine:latest', name: 42 }, 'name'],
        ['unknown field', { image: 'alpine:latest', privileged: true }, ''],
        ['unknown resource', { image: 'alpine:latest', resources: { gpus: 1 } }, 'resources'],
        ['bad name', { image: 'alpine:latest', name: 'No Spaces' }, 'name'],
        [
          'negative',
          { image: 'alpine:latest', resources: { cpu_millicores: -1 } },
          'resources.cpu_millicores',
        ],
        [
          'fractional',
          { image: 'alpine:latest', resources: { memory_mb: 1.5 } },
          'resources.memory_mb',
        ],
        ['zero', { image: 'alpine:latest', resources: { disk_mb: 0 } }, 'resources.disk_mb'],
        ['custom without reference', { image: 'custom' }, 'custom_image'],
        [
          'reference without custom',
          { image: 'alpine:latest', custom_image: 'x/y:1' },
          'custom_image',
        ],
        ['bad reference', { image: 'custom', custom_image: 'UPPER CASE' }, 'custom_image'],
        ['bad role', { image: 'alpine:latest', role: 'java' }, 'role'],
        ['array body', [], ''],
        ['null body', null, ''],
      ];
      for (const [label, json, path] of cases) {
        const res = await create(json);
        t.equal(res.status, 400, label);
        const body = ErrorBody.parse(res.body);
        t.equal(body.code, 'invalid_request', label);
        t.ok(
          body.issues?.some((issue) => issue.path === path),
          `${label}: issue at "${path}"`,
        );
      }
      t.equal(await stored(), 0);
    });

    void t.test('invalid JSON, wrong content type, empty and huge bodies are 400', async (t) => {
      const post = (raw: string | undefined, contentType?: string) =>
        call(server, 'POST', '/api/v1/containers', {
          token: carol.token,
          raw,
          headers: contentType === undefined ? {} : { 'content-type': contentType },
        });
      const huge = JSON.stringify({ image: 'alpine:latest', name: 'x'.repeat(1024 * 1024) });
      const cases: [string, string | undefined, string | undefined][] = [
        ['invalid JSON', '{"image":', 'application/json'],
        [
          'prototype poisoning',
          '{"__proto__":{"x":1},"image":"alpine:latest"}',
          'application/json',
        ],
        ['text/plain', 'image=alpine', 'text/plain'],
        ['form', 'image=alpine', 'application/x-www-form-urlencoded'],
        ['empty JSON', '', 'application/json'],
        ['no body', undefined, undefined],
        ['1 MB string', huge, 'application/json'],
      ];
      for (const [label, raw, contentType] of cases) {
        const res = await post(raw, contentType);
        t.equal(res.status, 400, label);
        const body = ErrorBody.parse(res.body);
        t.equal(body.code, 'invalid_request', label);
        t.ok(body.error.length > 10, `${label}: ${body.error}`);
      }
    });

    void t.test('a full account is 403 container_limit_reached', async (t) => {
      for (let i = 0; i < 5; i++)
        await insertContainer(server.database, carol.id, { name: `c${i}` });
      const res = await create({ image: 'alpine:latest' });
      t.equal(res.status, 403);
      t.match(ErrorBody.parse(res.body), {
        code: 'container_limit_reached',
        limit: 5,
        current: 5,
        tier: 'community',
      });
      t.equal(await stored(), 5);
    });
  });
}
