// Error handling over real HTTP on both drivers: unknown routes, request ids in headers and logs
// (failures at info, successes at debug),
// a real server-side fault (a column renamed under the running app) giving a 500 that carries only
// the request id, and a database that stops answering giving 503 unavailable (and /readyz 503).
import { ErrorBody } from '@rexec/protocol';
import pg from 'pg';
import t from 'tap';
import { DB_DRIVERS, postgresAdminUrl } from '../../helpers/postgres.js';
import { call, newUser, startServer } from './server.js';

for (const driver of DB_DRIVERS) {
  void t.test(`errors on ${driver}`, async (t) => {
    const server = await startServer(t, driver);
    const ivan = await newUser(server, 'ivan');

    void t.test('unknown routes are 404 not_found in the API format', async (t) => {
      for (const [method, path] of [
        ['GET', '/api/v1/nope'],
        ['GET', '/api/v2/containers'],
        ['PUT', '/api/v1/containers'],
        ['GET', '/'],
      ] as const) {
        const res = await call(server, method, path, { token: ivan.token });
        t.equal(res.status, 404, `${method} ${path}`);
        t.equal(ErrorBody.parse(res.body).code, 'not_found');
      }
      const anonymous = await call(server, 'GET', '/api/v1/nope');
      t.equal(anonymous.status, 404);
    });

    void t.test(
      'a path parameter over the router limit or a bad escape is 400 invalid_request, path not echoed',
      async (t) => {
        const long = 'x'.repeat(300);
        for (const path of [
          `/api/v1/containers/${long}`,
          `/api/v1/hosts/${long}/approve`,
          '/api/v1/containers/%E0%A4%A',
        ]) {
          const res = await call(server, 'GET', path, { token: ivan.token });
          t.equal(res.status, 400, path.slice(0, 40));
          const body = ErrorBody.parse(res.body);
          t.equal(body.code, 'invalid_request');
          t.notMatch(JSON.stringify(body), /xxxxxxxxxx|%E0|FST_/, 'no path and no framework code');
          t.match(res.headers.get('x-request-id'), /^req_/);
        }
      },
    );

    void t.test('every answer carries a request id that the log lines share', async (t) => {
      const ok = await call(server, 'GET', '/api/v1/me', { token: ivan.token });
      const denied = await call(server, 'GET', '/api/v1/me');
      const okId = ok.headers.get('x-request-id');
      const deniedId = denied.headers.get('x-request-id');
      t.match(okId, /^req_[0-9a-f]{32}$/);
      t.match(deniedId, /^req_[0-9a-f]{32}$/);
      t.not(okId, deniedId);
      // At info (the test server's level) only failures are logged, with their request id; a
      // successful request's line is at debug, so it costs nothing under load.
      const completed = server.logs.filter((line) => line['msg'] === 'request completed');
      const denial = completed.find((line) => line['request_id'] === deniedId);
      t.match(denial, { level: 30, res: { statusCode: 401 } });
      t.notOk(completed.some((line) => line['request_id'] === okId));
    });

    void t.test(
      'a server fault is a 500 with only the request id; the log has the error',
      async (t) => {
        await server.database.db.execute(
          'ALTER TABLE containers RENAME COLUMN name TO name_broken',
        );
        t.teardown(() =>
          server.database.db
            .execute('ALTER TABLE containers RENAME COLUMN name_broken TO name')
            .then(() => undefined),
        );
        const res = await call(server, 'GET', '/api/v1/containers', { token: ivan.token });
        t.equal(res.status, 500);
        const requestId = res.headers.get('x-request-id');
        t.same(Object.keys(res.body as object).sort(), ['code', 'error', 'request_id']);
        t.match(res.body, { code: 'internal', request_id: requestId });
        t.notMatch(JSON.stringify(res.body), /name_broken|select|column|at /i, 'no SQL or stack');
        const logged = server.logs.find(
          (line) => line['request_id'] === requestId && line['msg'] === 'unexpected error',
        );
        t.ok(logged, 'the error is logged with the request id');
        t.match(JSON.stringify(logged), /name/);
      },
    );

    void t.test('a database that stops answering gives 503 unavailable', async (t) => {
      await makeUnreachable(server.database, driver);
      const res = await call(server, 'GET', '/api/v1/containers', { token: ivan.token });
      t.equal(res.status, 503);
      t.equal(ErrorBody.parse(res.body).code, 'unavailable');
      const ready = await call(server, 'GET', '/readyz');
      t.equal(ready.status, 503);
      t.equal(ErrorBody.parse(ready.body).code, 'unavailable');
      const health = await call(server, 'GET', '/healthz');
      t.equal(health.status, 200, 'liveness does not depend on the database');
    });
  });
}

/**
 * pg: the database refuses new sessions and its current ones are ended, as when a server goes
 * down for maintenance. PGlite: the embedded database is closed.
 */
async function makeUnreachable(
  database: { close(): Promise<void>; pool?: pg.Pool },
  driver: string,
): Promise<void> {
  if (driver === 'pglite') {
    await database.close();
    return;
  }
  const name = (await database.pool?.query<{ db: string }>('select current_database() as db'))
    ?.rows[0]?.db;
  if (name === undefined) throw new Error('no database name');
  const admin = new pg.Client({ connectionString: await postgresAdminUrl() });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
  } finally {
    await admin.end();
  }
}
