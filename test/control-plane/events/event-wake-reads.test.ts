// event-wake.ts shares reads between streams: streams asking the same (filter, position, limit)
// while one such query runs get that query's answer instead of a query each, which is what keeps
// a thousand subscribers of one event to one query (bench/events-fanout.ts). A different filter
// or position is a query of its own, and a finished read is never answered from memory. The LISTEN
// connection, ended by the server while listening or after stop() gave it back, is released once,
// and its end after stop() is not reported as the LISTEN failing.
import { pino } from 'pino';
import t from 'tap';
import type pg from 'pg';
import {
  createEventWake,
  EVENTS_CHANNEL,
} from '../../../packages/control-plane/src/events/event-wake.js';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import {
  START_POSITION,
  type EventFilter,
} from '../../../packages/control-plane/src/services/event-reads.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { preparedDatabase } from '../http/server.js';

void t.test('identical reads in flight share one query; others do not', async (t) => {
  const { database } = await preparedDatabase(t, 'pg');
  const wake = createEventWake({ database, log: pino({ level: 'silent' }), probeMs: 50 });
  await wake.start();
  t.teardown(() => wake.stop());
  await recordEvent(database.db, { type: 'host.online', hostId: 'hst_a' });
  const everything: EventFilter = { ownerUserId: null, types: [] };

  const first = wake.read(everything, START_POSITION, 100);
  const same = wake.read({ ownerUserId: null, types: [] }, { txId: '0', id: '0' }, 100);
  const otherTypes = wake.read({ ownerUserId: null, types: ['host.*'] }, START_POSITION, 100);
  const otherLimit = wake.read(everything, START_POSITION, 99);
  t.equal(same, first, 'the same question while the first is running: the same answer');
  t.not(otherTypes, first, 'another filter: its own query');
  t.not(otherLimit, first, 'another limit: its own query');

  const records = await first;
  t.ok(
    records.some((record) => record.type === 'host.online' && record.hostId === 'hst_a'),
    'the shared answer holds the event',
  );
  t.same(
    await otherTypes,
    records.filter((record) => record.type.startsWith('host.')),
    'the other filter read its own events',
  );
  const later = wake.read(everything, START_POSITION, 100);
  t.not(later, first, 'a finished read is not reused');
  t.same(await later, records);
});

/** Ends the backends of this database whose last statement was `query`; their pids. */
async function terminate(admin: pg.PoolClient, query: string): Promise<number[]> {
  const result = await admin.query<{ pid: number }>(
    `select pid, pg_terminate_backend(pid) as ended from pg_stat_activity
     where datname = current_database() and query = $1 and pid <> pg_backend_pid()`,
    [query],
  );
  return result.rows.map((row) => row.pid);
}

void t.test(
  'a LISTEN connection the server ends is given back once, also after stop(), and LISTEN resumes',
  async (t) => {
    const { database } = await preparedDatabase(t, 'pg');
    // A connection of the test's own: the pool would hand back the one stop() released.
    const admin = await (database.pool as pg.Pool).connect();
    t.teardown(() => admin.release());
    const { log, lines } = capturedLog();
    const wake = createEventWake({ database, log, probeMs: 50 });
    await wake.start();
    let stopped = false;
    t.teardown(() => (stopped ? undefined : wake.stop()));
    const listening = `LISTEN ${EVENTS_CHANNEL}`;

    const ended = await terminate(admin, listening);
    t.equal(ended.length, 1, 'the LISTEN connection is ended');
    // The next ticks listen again on a fresh connection. The ended backend may still be listed
    // for a moment after the signal, so it is the new pid that is waited for.
    for (let tries = 0; ; tries++) {
      const rows = await admin.query(
        `select 1 from pg_stat_activity where datname = current_database()
         and query = $1 and pid <> pg_backend_pid() and pid <> all($2::int[])`,
        [listening, ended],
      );
      if (rows.rows.length === 1) break;
      if (tries > 200) throw new Error('never listened again');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let woken = 0;
    wake.subscribe({ wake: () => (woken += 1), close: () => undefined });
    await recordEvent(database.db, { type: 'host.online', hostId: 'hst_b' });
    while (woken === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    t.pass('an event wakes subscribers again');

    await wake.stop();
    stopped = true;
    // stop() gave the connection back to the pool; the server ending it there is the pool's
    // business, not a second release (pg-pool throws on one, an uncaught exception).
    t.equal(
      (await terminate(admin, `UNLISTEN ${EVENTS_CHANNEL}`)).length,
      1,
      'the idle one is ended',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.pass('nothing was released twice');
    t.same(
      lines.map((line) => line['msg']),
      ['the LISTEN connection failed'],
      'only the end while listening is a LISTEN failure, not the end in the pool after stop()',
    );
  },
);
