// The placer on both drivers, through the create path it serves: it places only on online, active
// hosts with room, the reservation is taken atomically (concurrent creates never overbook), a
// no_capacity create keeps nothing, snapshot reads asked for at once are shared, and a host this
// replica holds goes first (under spread among those about as good as the best).
import t from 'tap';
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import { createPlacer, type Placer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { createContainer } from '../../../packages/control-plane/src/services/containers.js';
import { getHost } from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

/** One create by a new user (so no quota or user lock is shared) reserving `cpuMillicores`. */
async function place(db: Db, placer: Placer, cpuMillicores = 1000): Promise<string | null> {
  const user = await seedUser(db, 'enterprise');
  const resources = { cpu_millicores: cpuMillicores, memory_mb: 1024, disk_mb: 1024 };
  try {
    const row = await createContainer(db, {
      user,
      request: { image: 'ubuntu:24.04', resources },
      placer,
    });
    return row.hostId;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'no_capacity') return null;
    throw error;
  }
}

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);
    // No overcommit, so a host's CPU capacity is what it can reserve.
    const placer = createPlacer({ db, strategy: 'binpack', cpuOvercommit: 1 });

    await t.test('with no hosts there is no placement', async (t) => {
      t.equal(await place(db, placer), null);
    });

    await t.test('unreachable, cordoned and draining hosts get nothing', async (t) => {
      const hosts = await Promise.all([
        seedHost(db, { status: 'unreachable' }),
        seedHost(db, { scheduling: 'cordoned' }),
        seedHost(db, { scheduling: 'draining' }),
      ]);
      t.equal(await place(db, placer), null);
      for (const host of hosts) t.equal((await getHost(db, host.id)).reservedCpuMillicores, 0);
    });

    await t.test('a placement reserves cpu, memory and disk on the chosen host', async (t) => {
      const host = await seedHost(db, {
        capacityCpuMillicores: 3000,
        capacityMemoryMb: 8192,
        capacityDiskMb: 8192,
      });
      t.equal(await place(db, placer), host.id);
      t.match(await getHost(db, host.id), {
        reservedCpuMillicores: 1000,
        reservedMemoryMb: 1024,
        reservedDiskMb: 1024,
      });
    });

    await t.test('concurrent placements never overbook a host', async (t) => {
      // The host from the previous test has room for exactly two more.
      const results = await Promise.all(Array.from({ length: 10 }, () => place(db, placer)));
      const placed = results.filter((id) => id !== null);
      t.equal(placed.length, 2);
      const [hostId] = placed;
      if (hostId === undefined) return;
      t.equal((await getHost(db, hostId)).reservedCpuMillicores, 3000);
      t.equal(await place(db, placer), null, 'a full host takes no more');
    });

    await t.test('reads asked for at once are shared; a later one reads afresh', async (t) => {
      const [first, second] = await Promise.all([placer.snapshot(), placer.snapshot()]);
      t.equal(first.joined, false, 'the first starts the read');
      t.equal(second.joined, true, 'the second joins it');
      t.equal(second.hosts, first.hosts, 'one read, one result');
      // Too small for any request in this suite, so it changes no later placement.
      const host = await seedHost(db, { name: 'after-the-read', capacityCpuMillicores: 1 });
      const later = await placer.snapshot();
      t.equal(later.joined, false);
      t.ok(
        later.hosts.some((h) => h.id === host.id),
        'a read after the change sees it',
      );
    });

    await t.test('another placer on the same database shares nothing with this one', async (t) => {
      const other = createPlacer({ db, strategy: 'spread', cpuOvercommit: 1 });
      const [mine, theirs] = await Promise.all([placer.snapshot(), other.snapshot()]);
      t.equal(theirs.joined, false, 'each placer reads for itself');
      t.not(theirs.hosts, mine.hosts);
    });

    await t.test(
      'a host this replica holds goes first: under spread among the near-best only',
      async (t) => {
        const size = { capacityCpuMillicores: 64_000, capacityMemoryMb: 65_536 };
        const [a, b] = await Promise.all([seedHost(db, size), seedHost(db, size)]);
        const [smaller, larger] = a.id < b.id ? [a, b] : [b, a];
        const held = new Set([larger.id]);
        const spread = { db, strategy: 'spread', cpuOvercommit: 1 } as const;
        const local = createPlacer({ ...spread, held: (id) => held.has(id) });
        t.equal(await place(db, local), larger.id, 'the held one of two equal hosts');
        t.equal(
          await place(db, createPlacer(spread)),
          smaller.id,
          'where ties go to the smaller id',
        );

        // Half full, so far from the best: being held does not make up for it.
        const busy = await seedHost(db, { ...size, reservedCpuMillicores: 32_000 });
        const beyond = createPlacer({ ...spread, held: (id) => id === busy.id });
        t.not(await place(db, beyond), busy.id, 'a held host well behind the best waits');
        t.equal((await getHost(db, busy.id)).reservedCpuMillicores, 32_000);

        // Under binpack each replica fills the hosts it holds, however far behind the fullest.
        const mine = await seedHost(db, size);
        const fill = { db, strategy: 'binpack', cpuOvercommit: 1 } as const;
        t.equal(await place(db, createPlacer(fill)), busy.id, 'binpack fills the fullest');
        const own = createPlacer({ ...fill, held: (id) => id === mine.id });
        t.equal(await place(db, own), mine.id, 'or, with a held host, that one');
      },
    );
  });
}
