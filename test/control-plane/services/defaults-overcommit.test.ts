// Tier defaults, CPU overcommit and the no_capacity details on both drivers, with the real
// scheduler and seeded hosts: a create with no resources fits a 2-core host for every tier, CPU
// reservations reach the overcommit's multiple of capacity (also under concurrent creates) while
// memory and disk never pass capacity, and a refused create says why and what would fit.
import t from 'tap';
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import type { HostRow } from '../../../packages/control-plane/src/db/schema/hosts.js';
import { isRexecError } from '../../../packages/control-plane/src/errors.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import {
  createContainer,
  type CreateContainerRequest,
} from '../../../packages/control-plane/src/services/containers.js';
import { getHost } from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

const alpine: CreateContainerRequest = { image: 'alpine:latest' };
const cpu = (cpuMillicores: number): CreateContainerRequest => ({
  ...alpine,
  resources: { cpu_millicores: cpuMillicores, memory_mb: 64, disk_mb: 64 },
});

/** Takes every host out of scheduling so each test sees only the hosts it seeds. */
async function retireHosts(db: Db): Promise<void> {
  await db.execute(`update hosts set status = 'unreachable'`);
}

/** A 2-core host with 8 GB of memory and 50 GB of disk. */
const laptop: Partial<HostRow> = {
  capacityCpuMillicores: 2000,
  capacityMemoryMb: 8192,
  capacityDiskMb: 51_200,
};

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);
    const overcommit4 = createPlacer({ db, strategy: 'binpack', cpuOvercommit: 4 });
    const noOvercommit = createPlacer({ db, strategy: 'binpack', cpuOvercommit: 1 });

    await t.test('a create without resources fits a 2-core host for every tier', async (t) => {
      for (const [tier, expected] of [
        ['community', [1000, 1024, 5120, 10]],
        ['pro', [2000, 2048, 10240, 100]],
        ['enterprise', [2000, 4096, 20480, 1000]],
      ] as const) {
        await retireHosts(db);
        const host = await seedHost(db, laptop);
        for (const placer of [overcommit4, noOvercommit]) {
          const user = await seedUser(db, tier);
          const row = await createContainer(db, { user, request: alpine, placer });
          t.equal(row.hostId, host.id, `${tier}: placed on the 2-core host`);
          t.same(
            [row.cpuMillicores, row.memoryMb, row.diskMb, row.networkMbps],
            expected,
            `${tier}: gets the tier's defaults`,
          );
          await db.execute(`update hosts set reserved_cpu_millicores = 0,
            reserved_memory_mb = 0, reserved_disk_mb = 0 where id = '${host.id}'`);
        }
      }
    });

    await t.test('an omitted resource gets its default, a given one is kept', async (t) => {
      await retireHosts(db);
      await seedHost(db, laptop);
      const user = await seedUser(db, 'pro');
      const row = await createContainer(db, {
        user,
        request: { ...alpine, resources: { memory_mb: 512 } },
        placer: overcommit4,
      });
      t.same(
        [row.cpuMillicores, row.memoryMb, row.diskMb, row.networkMbps],
        [2000, 512, 10240, 100],
      );
    });

    await t.test('CPU reservations reach 4× capacity and stop there', async (t) => {
      await retireHosts(db);
      const host = await seedHost(db, laptop);
      const user = await seedUser(db, 'enterprise');
      for (let i = 0; i < 8; i++) {
        await createContainer(db, { user, request: cpu(1000), placer: overcommit4 });
      }
      const error = await createContainer(db, {
        user,
        request: cpu(1000),
        placer: overcommit4,
      }).catch((e: unknown) => e);
      t.ok(isRexecError(error, 'no_capacity'), 'the ninth core is refused');
      if (isRexecError(error)) {
        t.match(error.details, {
          reason: 'no_host_with_room',
          resource: 'cpu_millicores',
          requested_resources: { cpu_millicores: 1000, memory_mb: 64, disk_mb: 64 },
          hosts_online: 1,
          hosts_schedulable: 1,
          largest_fit: null,
        });
        t.match(error.message, /cpu_millicores: 1000 \(the most free on one host is 0\)/);
      }
      t.equal((await getHost(db, host.id)).reservedCpuMillicores, 8000);
    });

    await t.test('without overcommit a 2-core host reserves 2 cores', async (t) => {
      await retireHosts(db);
      const host = await seedHost(db, laptop);
      const user = await seedUser(db, 'enterprise');
      await createContainer(db, { user, request: cpu(1000), placer: noOvercommit });
      await createContainer(db, { user, request: cpu(1000), placer: noOvercommit });
      await t.rejects(createContainer(db, { user, request: cpu(1), placer: noOvercommit }), {
        code: 'no_capacity',
        details: { resource: 'cpu_millicores' },
      });
      t.equal((await getHost(db, host.id)).reservedCpuMillicores, 2000);
    });

    await t.test('concurrent creates never pass 4× CPU capacity', async (t) => {
      await retireHosts(db);
      const host = await seedHost(db, { ...laptop, capacityCpuMillicores: 1000 });
      const users = await Promise.all([seedUser(db, 'enterprise'), seedUser(db, 'enterprise')]);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          createContainer(db, {
            user: users[i % 2]!,
            request: cpu(500),
            placer: overcommit4,
          }),
        ),
      );
      t.equal(results.filter((result) => result.status === 'fulfilled').length, 8);
      t.ok(
        results.every(
          (result) => result.status === 'fulfilled' || isRexecError(result.reason, 'no_capacity'),
        ),
        'every refusal is no_capacity',
      );
      t.equal((await getHost(db, host.id)).reservedCpuMillicores, 4000);
    });

    await t.test('memory and disk are never overcommitted', async (t) => {
      await retireHosts(db);
      const host = await seedHost(db, {
        capacityCpuMillicores: 8000,
        capacityMemoryMb: 2048,
        capacityDiskMb: 4096,
      });
      const user = await seedUser(db, 'enterprise');
      const box = { ...alpine, resources: { cpu_millicores: 100, memory_mb: 1024, disk_mb: 1024 } };
      await createContainer(db, { user, request: box, placer: overcommit4 });
      await createContainer(db, { user, request: box, placer: overcommit4 });
      const memory = await createContainer(db, {
        user,
        request: box,
        placer: overcommit4,
      }).catch((e: unknown) => e);
      t.ok(isRexecError(memory, 'no_capacity'));
      if (isRexecError(memory)) t.equal(memory.details['resource'], 'memory_mb');
      t.equal((await getHost(db, host.id)).reservedMemoryMb, 2048);

      await retireHosts(db);
      const diskHost = await seedHost(db, {
        capacityCpuMillicores: 8000,
        capacityMemoryMb: 65_536,
        capacityDiskMb: 2048,
      });
      await createContainer(db, { user, request: box, placer: overcommit4 });
      await createContainer(db, { user, request: box, placer: overcommit4 });
      await t.rejects(createContainer(db, { user, request: box, placer: overcommit4 }), {
        code: 'no_capacity',
        details: { resource: 'disk_mb', largest_fit: null },
      });
      t.equal((await getHost(db, diskHost.id)).reservedDiskMb, 2048);
    });

    await t.test('no_capacity names the largest request that fits now', async (t) => {
      await retireHosts(db);
      await seedHost(db, {
        capacityCpuMillicores: 1000,
        capacityMemoryMb: 3000,
        capacityDiskMb: 9000,
      });
      await seedHost(db, {
        capacityCpuMillicores: 1500,
        capacityMemoryMb: 1000,
        capacityDiskMb: 900,
      });
      const user = await seedUser(db, 'enterprise');
      await t.rejects(
        createContainer(db, {
          user,
          request: { ...alpine, resources: { cpu_millicores: 8000 } },
          placer: overcommit4,
        }),
        {
          code: 'no_capacity',
          message:
            /cpu_millicores: 8000 \(the most free on one host is 6000\).*largest request that fits now is cpu_millicores 4000, memory_mb 3000, disk_mb 9000/,
          details: {
            reason: 'no_host_with_room',
            resource: 'cpu_millicores',
            requested_resources: { cpu_millicores: 8000, memory_mb: 4096, disk_mb: 20480 },
            hosts_online: 2,
            hosts_schedulable: 2,
            largest_fit: { cpu_millicores: 4000, memory_mb: 3000, disk_mb: 9000 },
          },
        },
      );
    });

    await t.test('largest_fit stays within the tier maxima', async (t) => {
      await retireHosts(db);
      await seedHost(db, {
        capacityCpuMillicores: 64_000,
        capacityMemoryMb: 1000,
        capacityDiskMb: 1_000_000,
      });
      const user = await seedUser(db, 'community');
      await t.rejects(createContainer(db, { user, request: alpine, placer: overcommit4 }), {
        code: 'no_capacity',
        details: {
          resource: 'memory_mb',
          largest_fit: { cpu_millicores: 2000, memory_mb: 1000, disk_mb: 10240 },
        },
      });
    });

    await t.test('cordoned and draining hosts make no_host_schedulable', async (t) => {
      await retireHosts(db);
      await seedHost(db, { ...laptop, scheduling: 'cordoned' });
      await seedHost(db, { ...laptop, scheduling: 'draining' });
      const user = await seedUser(db);
      await t.rejects(createContainer(db, { user, request: alpine, placer: overcommit4 }), {
        code: 'no_capacity',
        message: /All 2 online hosts are cordoned, draining or without network isolation.*uncordon/,
        details: {
          reason: 'no_host_schedulable',
          hosts_online: 2,
          hosts_schedulable: 0,
          largest_fit: null,
        },
      });
    });

    await t.test('only unreachable hosts make no_host_online', async (t) => {
      await retireHosts(db);
      await seedHost(db, { ...laptop, status: 'unreachable' });
      const user = await seedUser(db);
      await t.rejects(createContainer(db, { user, request: alpine, placer: overcommit4 }), {
        code: 'no_capacity',
        message: /No host is online.*rexec-agent/,
        details: { reason: 'no_host_online', hosts_online: 0 },
      });
    });
  });
}
