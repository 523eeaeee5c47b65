// Fixed-text statements run the same on both drivers and inside a transaction (through drizzle):
// arrays bind as one array value, nulls as nulls, the same name serves repeated calls, and a
// parameter without a value is refused with a clear error.
import t from 'tap';
import {
  queryPrepared,
  type PreparedStatement,
} from '../../../packages/control-plane/src/db/prepared.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from './migrated-database.js';

const STATEMENT: PreparedStatement = {
  name: 'rexec_test_prepared',
  text: `select x as item, $2::text as label, $3::int as n
    from unnest($1::text[]) with ordinality as u(x, position) order by position`,
};

const expected = [
  { item: 'a', label: null, n: 7 },
  { item: 'b,c', label: null, n: 7 },
  { item: '$1', label: null, n: 7 },
];

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver, { seed: false });
    const values = [['a', 'b,c', '$1'], null, 7];

    t.same(await queryPrepared(db, STATEMENT, values), expected, 'on the database');
    t.same(await queryPrepared(db, STATEMENT, values), expected, 'again under the same name');
    const inTx = await db.transaction((tx) => queryPrepared(tx, STATEMENT, values));
    t.same(inTx, expected, 'inside a transaction');

    await t.rejects(
      db.transaction((tx) => queryPrepared(tx, STATEMENT, [['a']])),
      /parameter \$2 has no value \(1 given\)/,
    );
  });
}
