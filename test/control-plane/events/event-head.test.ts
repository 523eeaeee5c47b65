// The head of the events table (what event-wake.ts watches to wake streams) is the last final
// event in numeric (transaction id, id) order, also where that order and the order of the ids
// written as text disagree: transaction ids gaining a digit ('999' sorts after '1000' as text) once
// froze the head, and with it every live stream, while new events kept committing.
import t from 'tap';
import {
  currentPosition,
  headPosition,
} from '../../../packages/control-plane/src/services/event-reads.js';
import { preparedDatabase } from '../http/server.js';

void t.test('the head is the numerically last final event', async (t) => {
  const { database } = await preparedDatabase(t, 'pg');
  const pool = database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  const { rows: snapshot } = await pool.query<{ xmin: string }>(
    'select pg_snapshot_xmin(pg_current_snapshot())::text as xmin',
  );
  // Two final transaction ids (below xmin) whose text order is the reverse of their numeric one:
  // the larger has one digit more, and the smaller is all nines.
  let larger = BigInt(snapshot[0]?.xmin ?? '0') - 1n;
  const smaller = 10n ** BigInt(String(larger).length - 1) - 1n;
  while (String(larger).startsWith(String(smaller))) larger -= 10n;
  t.ok(larger > smaller && String(smaller) > String(larger), `${smaller} < ${larger}, not as text`);
  for (const txId of [larger, smaller]) {
    await pool.query(`insert into events (type, tx_id) values ('user.created', $1::xid8)`, [
      String(txId),
    ]);
  }

  // Nothing else writes this database, so every event below the horizon now is final.
  const { txId: horizon } = await currentPosition(database.db);
  const { rows } = await pool.query<{ tx_id: string; id: string }>(
    `select tx_id::text as tx_id, id::text as id from events where tx_id < $1::xid8`,
    [horizon],
  );
  const key = (row: { tx_id: string; id: string }) =>
    BigInt(row.tx_id) * 2n ** 64n + BigInt(row.id);
  const last = rows.reduce((best, row) => (key(row) > key(best) ? row : best));
  t.same(await headPosition(database.db), { txId: last.tx_id, id: last.id });
  t.not(last.tx_id, String(smaller), 'the head is not the last event as text');
});
