// event-wake.ts shares reads between streams: streams asking the same (filter, position, limit)
// while one such query runs get that query's answer instead of a query each, which is what keeps
// a thousand subscribers of one event to one query (bench/events-fanout.ts). A different filter
// or position is a query of its own, and a finished read is never answered from memory.
import { pino } from 'pino';
import t from 'tap';
import { createEventWake } from '../../../packages/control-plane/src/events/event-wake.js';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import {
  START_POSITION,
  type EventFilter,
} from '../../../packages/control-plane/src/services/event-reads.js';
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
