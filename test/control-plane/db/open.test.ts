// Opening the database: both drivers answer ping and survive a double close; an unreachable
// Postgres fails at once with a clear error that does not leak the password; PGlite runs with
// small shared buffers.
import t from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import {
  openDatabase,
  PGLITE_SHARED_BUFFERS_MB,
  redact,
} from '../../../packages/control-plane/src/db/open.js';
import { DB_DRIVERS, freshDatabase } from '../../helpers/postgres.js';

for (const driver of DB_DRIVERS) {
  void t.test(`${driver}: opens, pings and closes idempotently`, async (t) => {
    const database = await openDatabase(await freshDatabase(t, driver));
    t.equal(database.driver, driver);
    t.equal(database.pool !== undefined, driver === 'pg', 'only pg exposes a pool');
    await database.ping();
    await database.close();
    await database.close();
    await t.rejects(database.ping(), 'a closed database no longer answers');
  });
}

void t.test('a transaction left open is ended by Postgres, and the pool goes on', async (t) => {
  // A stuck transaction would hold back every events reader for as long as it stays open.
  const target = await freshDatabase(t, 'pg');
  const database = await openDatabase(target, { idleInTransactionTimeoutMs: 300 });
  t.teardown(() => database.close());
  const pool = database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  const stuck = await pool.connect();
  await stuck.query('begin');
  await stuck.query('select pg_current_xact_id()');
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await t.rejects(stuck.query('select 1'), 'the session was ended');
  stuck.release(true);
  const { rows } = await pool.query<{ open: number }>(
    `select count(*)::int as open from pg_stat_activity
     where datname = current_database() and state = 'idle in transaction'`,
  );
  t.equal(rows[0]?.open, 0, 'nothing is left idle in a transaction');
});

void t.test('an unreachable Postgres is a clear error without the password', async (t) => {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const url = 'postgres://rexec:hunter2@127.0.0.1:1/rexec';
  const error = await openDatabase({ url }).then(
    () => null,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof Error);
  if (!(error instanceof Error)) return;
  t.match(error.message, /cannot connect to Postgres at postgres:\/\/rexec:\*\*\*@127\.0\.0\.1:1/);
  t.notMatch(error.message, /hunter2/);
  t.ok(error.cause, 'the driver error is the cause');
});

void t.test('redact hides only the password', (t) => {
  t.equal(
    redact('postgres://u:p@h:5432/d?sslmode=require'),
    'postgres://u:***@h:5432/d?sslmode=require',
  );
  t.equal(redact('postgres://u@h/d'), 'postgres://u@h/d');
  t.equal(redact('not a url'), '<unparseable database URL>');
  t.end();
});

void t.test('pglite: runs with the small shared buffers it was given', async (t) => {
  // PGlite touches all of its shared memory at start; initdb's default is 128 MB.
  const database = await openDatabase(await freshDatabase(t, 'pglite'));
  t.teardown(() => database.close());
  const rows = await selectRows<{ shared_buffers: string }>(database.db, sql`show shared_buffers`);
  t.equal(rows[0]?.shared_buffers, `${PGLITE_SHARED_BUFFERS_MB}MB`);
});
