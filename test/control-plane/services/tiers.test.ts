// Tiers on both drivers: the DESIGN §4 defaults are seeded, seeding again keeps an admin's edits,
// and updates are validated.
import t from 'tap';
import { isRexecError } from '../../../packages/control-plane/src/errors.js';
import {
  getTier,
  listTiers,
  seedTiers,
  updateTier,
} from '../../../packages/control-plane/src/services/tiers.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);

    void t.test('the three default tiers are seeded with the DESIGN limits', async (t) => {
      const tiers = await listTiers(db);
      t.same(
        tiers.map((tier) => [
          tier.name,
          tier.cpuMillicores,
          tier.memoryMb,
          tier.diskMb,
          tier.networkMbps,
          tier.maxContainers,
          tier.sessionHours,
        ]),
        [
          ['community', 2000, 2048, 10240, 10, 5, 50],
          ['pro', 4000, 4096, 20480, 100, 10, 168],
          ['enterprise', 8000, 8192, 51200, 1000, 25, null],
        ],
      );
      for (const tier of tiers) {
        t.same([tier.rateCreatePerMin, tier.rateOpsPerMin, tier.rateListPerMin], [10, 60, 120]);
      }
    });

    void t.test('an edited tier survives seeding again', async (t) => {
      const updated = await updateTier(db, 'pro', { max_containers: 12, session_hours: null });
      t.equal(updated.maxContainers, 12);
      t.equal(updated.sessionHours, null);
      await seedTiers(db);
      const pro = await getTier(db, 'pro');
      t.equal(pro.maxContainers, 12);
      t.equal(pro.sessionHours, null);
      t.equal((await listTiers(db)).length, 3);
    });

    void t.test('an empty patch changes nothing', async (t) => {
      const before = await getTier(db, 'community');
      t.same(await updateTier(db, 'community', {}), before);
    });

    void t.test('unknown tiers are not_found', async (t) => {
      await t.rejects(getTier(db, 'platinum'), { code: 'not_found' });
      await t.rejects(updateTier(db, 'platinum', { cpu_millicores: 1 }), { code: 'not_found' });
    });

    void t.test('non-positive or fractional limits are invalid_request', async (t) => {
      for (const patch of [
        { cpu_millicores: 0 },
        { memory_mb: -1 },
        { disk_mb: 1.5 },
        { rate_ops_per_min: 2 ** 31 },
      ]) {
        const error = await updateTier(db, 'community', patch).catch((e: unknown) => e);
        t.ok(isRexecError(error, 'invalid_request'), JSON.stringify(patch));
      }
      t.equal((await getTier(db, 'community')).cpuMillicores, 2000);
    });

    void t.test('max_containers 0 freezes a tier', async (t) => {
      t.equal((await updateTier(db, 'enterprise', { max_containers: 0 })).maxContainers, 0);
    });
  });
}
