// The harness's databases are real: both drivers answer queries, every fresh database is isolated
// from the others, and each is gone once its test ends. Runs on the run's Postgres (tap-before.ts).
import { PGlite } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { DB_DRIVERS, freshDatabase, postgresAdminUrl } from '../helpers/postgres.js';
import type { DbTarget } from '../helpers/postgres.js';

type Session = { query(sql: string): Promise<unknown[]>; close(): Promise<void> };

async function open(target: DbTarget): Promise<Session> {
  switch (target.driver) {
    case 'pg': {
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      return {
        query: async (sql) => (await client.query<Record<string, unknown>>(sql)).rows,
        close: () => client.end(),
      };
    }
    case 'pglite': {
      const db = await PGlite.create(target.dataDir);
      return { query: async (sql) => (await db.query(sql)).rows, close: () => db.close() };
    }
  }
}

for (const driver of DB_DRIVERS) {
  void t.test(`${driver}: a fresh database accepts a query`, async (t) => {
    const session = await open(await freshDatabase(t, driver));
    t.teardown(() => session.close());
    t.same(await session.query('SELECT 40 + 2 AS answer'), [{ answer: 42 }]);
    const [version] = (await session.query('SHOW server_version_num')) as [
      { server_version_num: string },
    ];
    t.ok(Number(version.server_version_num) >= 150000, 'the server is Postgres 15 or newer');
  });

  void t.test(`${driver}: two fresh databases are isolated from each other`, async (t) => {
    const first = await open(await freshDatabase(t, driver));
    t.teardown(() => first.close());
    const second = await open(await freshDatabase(t, driver));
    t.teardown(() => second.close());
    await first.query('CREATE TABLE marker (value text)');
    await first.query("INSERT INTO marker VALUES ('first')");
    t.same(await first.query('SELECT value FROM marker'), [{ value: 'first' }]);
    t.same(await second.query("SELECT to_regclass('marker') IS NULL AS absent"), [
      { absent: true },
    ]);
  });
}

void t.test(
  'pg: a fresh database is dropped when its test ends, even with a session left open',
  async (t) => {
    let name = '';
    const leakedErrors: string[] = [];
    let leakedEnded: Promise<unknown> = Promise.resolve();
    await t.test('leaves a session open', async (t) => {
      const target = await freshDatabase(t, 'pg');
      if (target.driver !== 'pg') throw new Error('freshDatabase(pg) returned another driver');
      name = new URL(target.url).pathname.slice(1);
      const leaked = new pg.Client({ connectionString: target.url });
      leaked.on('error', (error: Error & { code?: string }) => leakedErrors.push(error.code ?? ''));
      // Not events.once: that rejects on the 'error' this test expects.
      leakedEnded = new Promise((resolve) => leaked.once('end', resolve));
      await leaked.connect();
      await leaked.query('CREATE TABLE leftover (id int)');
    });
    t.match(name, /^rexec_test_[a-z0-9]+_[0-9a-f]{8}$/);
    const admin = new pg.Client({ connectionString: await postgresAdminUrl() });
    await admin.connect();
    t.teardown(() => admin.end());
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    t.equal(rows.length, 0, `${name} no longer exists`);
    await leakedEnded;
    t.ok(leakedErrors.includes('57P01'), 'the leaked session was terminated by the drop');
  },
);

void t.test('pglite: a fresh data directory is deleted when its test ends', async (t) => {
  let dataDir = '';
  await t.test('uses a directory', async (t) => {
    const target = await freshDatabase(t, 'pglite');
    if (target.driver === 'pglite') dataDir = target.dataDir;
    // Stands in for PGlite's files; opening PGlite here would only make the test slower.
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'PG_VERSION'), '17\n');
  });
  t.notOk(existsSync(dirname(dataDir)), `${dirname(dataDir)} was removed`);
});
