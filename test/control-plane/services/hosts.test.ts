// Host administration on both drivers: listing, lookups, cordon/uncordon/drain with audit events,
// and join tokens (lifetime bounds, only the hash stored).
import t from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import { hashToken, newId } from '../../../packages/control-plane/src/ids.js';
import {
  createJoinToken,
  getHost,
  isJoinTokenShape,
  listHosts,
  MAX_JOIN_TOKEN_SECONDS,
  setScheduling,
} from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);
    const admin = await seedUser(db, 'enterprise', 'admin');

    void t.test('hosts are listed by name and found by id', async (t) => {
      const b = await seedHost(db, { name: 'b-host' });
      const a = await seedHost(db, { name: 'a-host' });
      t.same(
        (await listHosts(db)).map((host) => host.id),
        [a.id, b.id],
      );
      t.equal((await getHost(db, a.id)).name, 'a-host');
      await t.rejects(getHost(db, newId('hst')), { code: 'not_found' });
      await t.rejects(getHost(db, 'a-host'), { code: 'not_found' });
    });

    void t.test('cordon, drain and uncordon change scheduling and are audited', async (t) => {
      const host = await seedHost(db);
      t.equal((await setScheduling(db, host.id, 'cordoned', admin.id)).scheduling, 'cordoned');
      t.equal((await setScheduling(db, host.id, 'cordoned', admin.id)).scheduling, 'cordoned');
      t.equal((await setScheduling(db, host.id, 'draining', admin.id)).scheduling, 'draining');
      t.equal((await setScheduling(db, host.id, 'active', admin.id)).scheduling, 'active');
      const events = await selectRows<{ type: string; actor_user_id: string }>(
        db,
        sql`select type, actor_user_id from events where host_id = ${host.id} order by id`,
      );
      t.same(
        events.map((row) => row.type),
        ['host.cordoned', 'host.draining', 'host.uncordoned'],
        'a repeated cordon is a no-op and writes no event',
      );
      t.ok(events.every((row) => row.actor_user_id === admin.id));
      await t.rejects(setScheduling(db, newId('hst'), 'cordoned'), { code: 'not_found' });
    });

    void t.test('join tokens last an hour by default and are stored hashed', async (t) => {
      const before = Date.now();
      const created = await createJoinToken(db, { createdBy: admin.id });
      t.ok(isJoinTokenShape(created.token));
      const lifetime = created.expires_at.getTime() - before;
      t.ok(lifetime >= 3600_000 - 1000 && lifetime <= 3600_000 + 1000, `${lifetime} ms`);
      const stored = await selectRows<{ token_hash: string; created_by: string }>(
        db,
        sql`select token_hash, created_by from host_join_tokens where id = ${created.id}`,
      );
      t.same(stored, [{ token_hash: hashToken(created.token), created_by: admin.id }]);
    });

    void t.test('join token lifetimes are bounded', async (t) => {
      const longest = await createJoinToken(db, {
        createdBy: admin.id,
        expiresInSeconds: MAX_JOIN_TOKEN_SECONDS,
      });
      t.ok(longest.expires_at.getTime() > Date.now() + 29 * 24 * 3600_000);
      for (const expiresInSeconds of [0, -1, 1.5, MAX_JOIN_TOKEN_SECONDS + 1]) {
        await t.rejects(createJoinToken(db, { createdBy: admin.id, expiresInSeconds }), {
          code: 'invalid_request',
        });
      }
    });
  });
}
