// Transaction ids are shared by every database of a Postgres server, and so is the snapshot's
// xmin. Events are final once every transaction that may still write them has ended; a
// transaction open in another database of the same server (another application's, another
// Rexec's, a parallel test file's) can never write this one's events table, so it must not hold
// them back. It did: with the run's server shared by the suite's files, one file's open writer
// hid another file's events, and a CI run failed on it. A writer open in this database still
// holds events back (events-api.test.ts).
import pg from 'pg';
import t from 'tap';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import {
  currentPosition,
  headPosition,
  readEvents,
} from '../../../packages/control-plane/src/services/event-reads.js';
import { freshDatabase } from '../../helpers/postgres.js';
import { preparedDatabase } from '../http/server.js';

/** A connection to a new database of the same server, in a transaction that has written. */
async function openWriterElsewhere(t: Parameters<typeof freshDatabase>[0]) {
  const other = await freshDatabase(t, 'pg');
  if (other.driver !== 'pg') throw new Error('a pg database');
  const client = new pg.Client({ connectionString: other.url });
  await client.connect();
  await client.query('begin');
  const { rows } = await client.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
  // Ended before the teardown that drops its database.
  t.teardown(() => client.end());
  return { client, xid: rows[0]?.xid ?? '' };
}

void t.test('a writer open in another database does not hold back events', async (t) => {
  const { database } = await preparedDatabase(t, 'pg');
  const writer = await openWriterElsewhere(t);
  const before = await currentPosition(database.db);
  await recordEvent(database.db, { type: 'host.online', hostId: 'hst_elsewhere' });

  const events = await readEvents(database.db, { ownerUserId: null, types: [] }, before, 100);
  t.same(
    events.map((event) => [event.type, event.hostId]),
    [['host.online', 'hst_elsewhere']],
    'the event is final while the other database’s writer is open',
  );
  const head = await headPosition(database.db);
  t.same(head, { txId: events[0]?.txId, id: events[0]?.id }, 'the head moved to it');
  const now = await currentPosition(database.db);
  t.ok(BigInt(now.txId) > BigInt(writer.xid), 'a stream from now starts past the other writer');
  t.same(
    await readEvents(database.db, { ownerUserId: null, types: [] }, now, 100),
    [],
    'and after the event',
  );
  await writer.client.query('commit');
});

void t.test('a writer open in this database still holds later events back', async (t) => {
  const { database } = await preparedDatabase(t, 'pg');
  await openWriterElsewhere(t);
  const pool = database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  const slow = await pool.connect();
  t.teardown(() => slow.release());
  const from = await currentPosition(database.db);
  await slow.query('begin');
  await slow.query(`insert into events (type, host_id) values ('host.online', 'hst_slow')`);
  await recordEvent(database.db, { type: 'host.unreachable', hostId: 'hst_fast' });
  const all = { ownerUserId: null, types: [] };
  t.same(await readEvents(database.db, all, from, 100), [], 'nothing is final yet');
  await slow.query('commit');
  t.same(
    (await readEvents(database.db, all, from, 100)).map((event) => event.hostId),
    ['hst_slow', 'hst_fast'],
    'both, oldest writer first',
  );
});
