// Tiers on both drivers: the DESIGN §4 and §8.4 values are seeded, seeding again keeps an admin's
// edits, and updates are validated, a per-container default never ending above its maximum.
import t from 'tap';
import { isCheckViolation } from '../../../packages/control-plane/src/db/check-violation.js';
import { isRexecError } from '../../../packages/control-plane/src/errors.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { createContainer } from '../../../packages/control-plane/src/services/containers.js';
import {
  getTier,
  listTiers,
  seedTiers,
  updateTier,
} from '../../../packages/control-plane/src/services/tiers.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);
    const placer = createPlacer({ db, strategy: 'binpack', cpuOvercommit: DEFAULT_CPU_OVERCOMMIT });

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
      t.same(
        tiers.map((tier) => [
          tier.name,
          tier.defaultCpuMillicores,
          tier.defaultMemoryMb,
          tier.defaultDiskMb,
          tier.defaultNetworkMbps,
        ]),
        [
          ['community', 1000, 1024, 5120, 10],
          ['pro', 2000, 2048, 10240, 100],
          ['enterprise', 2000, 4096, 20480, 1000],
        ],
        'the per-container defaults of DESIGN §8.4',
      );
    });

    void t.test('a default is editable up to its maximum and never above it', async (t) => {
      const edited = await updateTier(db, 'pro', {
        default_cpu_millicores: 4000,
        default_network_mbps: 50,
      });
      t.same([edited.defaultCpuMillicores, edited.defaultNetworkMbps], [4000, 50]);
      await t.rejects(updateTier(db, 'pro', { default_memory_mb: 4097 }), {
        code: 'invalid_request',
        message: /default_resources\.memory_mb 4097 is above the tier's maximum memory_mb of 4096/,
        details: { issues: [{ path: 'default_resources.memory_mb' }] },
      });
      await t.rejects(
        updateTier(db, 'pro', { cpu_millicores: 3000 }),
        {
          code: 'invalid_request',
          details: { issues: [{ path: 'default_resources.cpu_millicores' }] },
        },
        'lowering a maximum below its default is refused too',
      );
      const both = await updateTier(db, 'pro', {
        cpu_millicores: 3000,
        default_cpu_millicores: 1500,
      });
      t.same([both.cpuMillicores, both.defaultCpuMillicores], [3000, 1500], 'both in one request');
      await t.rejects(updateTier(db, 'pro', { default_disk_mb: 0 }), { code: 'invalid_request' });
    });

    void t.test('the database refuses a default above its maximum', async (t) => {
      const error = await db
        .execute(`update tiers set default_disk_mb = disk_mb + 1 where name = 'community'`)
        .catch((e: unknown) => e);
      t.ok(isCheckViolation(error, 'tiers_defaults_within_maxima'));
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

    void t.test('max_containers 0 freezes a tier: its users create nothing more', async (t) => {
      await seedHost(db);
      const user = await seedUser(db, 'enterprise', 'frozen');
      const create = () =>
        createContainer(db, { user, request: { image: 'ubuntu:24.04' }, placer });
      await create();
      t.equal((await updateTier(db, 'enterprise', { max_containers: 0 })).maxContainers, 0);
      await t.rejects(create(), { code: 'container_limit_reached' }, 'refused while frozen');
      await updateTier(db, 'enterprise', { max_containers: 25 });
      await create();
      t.pass('created again once thawed');
    });
  });
}
