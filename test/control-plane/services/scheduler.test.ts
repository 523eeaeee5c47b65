// The transactional scheduler on both drivers: it places only on online, active hosts with room,
// takes reservations atomically (concurrent placements never overbook), and a rolled-back
// transaction gives the reservation back. Snapshot reads asked for at once are shared.
import t from 'tap';
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import { newId } from '../../../packages/control-plane/src/ids.js';
import type { PlacementRequest } from '../../../packages/control-plane/src/scheduler/placement.js';
import {
  createScheduler,
  sharedSnapshot,
} from '../../../packages/control-plane/src/scheduler/scheduler.js';
import { getHost } from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost } from './fixtures.js';

function request(cpuMillicores = 1000): PlacementRequest {
  return {
    containerId: newId('ctr'),
    userId: newId('usr'),
    resources: { cpuMillicores, memoryMb: 1024, diskMb: 1024 },
  };
}

const binpack = createScheduler({ strategy: 'binpack', cpuOvercommit: 1 });

function place(db: Db, placement = request()) {
  return db.transaction((tx) => binpack.place(tx, placement));
}

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver, { seed: false });

    await t.test('with no hosts there is no placement', async (t) => {
      t.equal(await place(db), null);
    });

    await t.test('unreachable, cordoned and draining hosts get nothing', async (t) => {
      const hosts = await Promise.all([
        seedHost(db, { status: 'unreachable' }),
        seedHost(db, { scheduling: 'cordoned' }),
        seedHost(db, { scheduling: 'draining' }),
      ]);
      t.equal(await place(db), null);
      for (const host of hosts) t.equal((await getHost(db, host.id)).reservedCpuMillicores, 0);
    });

    await t.test('a placement reserves cpu, memory and disk on the chosen host', async (t) => {
      const host = await seedHost(db, {
        capacityCpuMillicores: 3000,
        capacityMemoryMb: 8192,
        capacityDiskMb: 8192,
      });
      t.equal(await place(db), host.id);
      t.match(await getHost(db, host.id), {
        reservedCpuMillicores: 1000,
        reservedMemoryMb: 1024,
        reservedDiskMb: 1024,
      });
    });

    await t.test('concurrent placements never overbook a host', async (t) => {
      // The host from the previous test has room for exactly two more.
      const results = await Promise.all(Array.from({ length: 10 }, () => place(db)));
      const placed = results.filter((id) => id !== null);
      t.equal(placed.length, 2);
      const [hostId] = placed;
      if (hostId === undefined) return;
      t.equal((await getHost(db, hostId)).reservedCpuMillicores, 3000);
      t.equal(await place(db), null, 'a full host takes no more');
    });

    await t.test('reads asked for at once are shared; a later one reads afresh', async (t) => {
      const [first, second] = await Promise.all([sharedSnapshot(db), sharedSnapshot(db)]);
      t.equal(first.joined, false, 'the first starts the read');
      t.equal(second.joined, true, 'the second joins it');
      t.equal(second.hosts, first.hosts, 'one read, one result');
      // Too small for any request in this suite, so it changes no later placement.
      const host = await seedHost(db, { name: 'after-the-read', capacityCpuMillicores: 1 });
      const later = await sharedSnapshot(db);
      t.equal(later.joined, false);
      t.ok(
        later.hosts.some((h) => h.id === host.id),
        'a read after the change sees it',
      );
    });

    await t.test('a rolled-back transaction gives its reservation back', async (t) => {
      const host = await seedHost(db, { name: 'rollback' });
      await t.rejects(
        db.transaction(async (tx) => {
          t.equal(await binpack.place(tx, request(5000)), host.id);
          throw new Error('the caller failed after placing');
        }),
        /caller failed/,
      );
      t.equal((await getHost(db, host.id)).reservedCpuMillicores, 0);
    });
  });
}
