// Container creation and reads on both drivers, with the real scheduler and a seeded host: defaults,
// per-tier maxima, the race-free count quota, names, no_capacity rollback, isolation between
// users, and cursor pagination.
import t from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import { isRexecError } from '../../../packages/control-plane/src/errors.js';
import { newId } from '../../../packages/control-plane/src/ids.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import {
  countContainers,
  createContainer,
  getContainer,
  listContainers,
  usage,
  type CreateContainerRequest,
} from '../../../packages/control-plane/src/services/containers.js';
import { getHost } from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

const ubuntu: CreateContainerRequest = { image: 'ubuntu:24.04' };

async function eventsOf(db: Db, containerId: string): Promise<string[]> {
  const result = await selectRows<{ type: string }>(
    db,
    sql`select type from events where container_id = ${containerId} order by id`,
  );
  return result.map((row) => row.type);
}

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const { db } = await migratedDatabase(t, driver);
    const placer = createPlacer({ db, strategy: 'binpack', cpuOvercommit: DEFAULT_CPU_OVERCOMMIT });

    // Awaited so it runs before the host below is seeded.
    await t.test('with no hosts, create is no_capacity and keeps nothing', async (t) => {
      const user = await seedUser(db);
      await t.rejects(createContainer(db, { user, request: ubuntu, placer }), {
        code: 'no_capacity',
        details: { reason: 'no_host_online', hosts_online: 0, largest_fit: null },
      });
      t.equal(await countContainers(db, user.id), 0);
      const events = await selectRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from events where type = 'container.created'`,
      );
      t.equal(events[0]?.n, 0, 'no event for a rolled-back create');
    });

    const host = await seedHost(db);

    void t.test(
      'omitted fields get defaults: tier defaults, generated name, barebone',
      async (t) => {
        const user = await seedUser(db);
        const row = await createContainer(db, { user, request: ubuntu, placer });
        t.match(row, {
          id: /^ctr_[0-9a-f]{32}$/,
          name: /^[a-z]+-[a-z]+-\d\d$/,
          image: 'ubuntu:24.04',
          customImage: null,
          role: 'barebone',
          status: 'creating',
          desiredStatus: 'running',
          hostId: host.id,
          cpuMillicores: 1000,
          memoryMb: 1024,
          diskMb: 5120,
          networkMbps: 10,
          deletedAt: null,
        });
        t.same(await eventsOf(db, row.id), ['container.created']);
        t.same(await usage(db, user.id), {
          containers: 1,
          cpu_millicores: 1000,
          memory_mb: 1024,
          disk_mb: 5120,
        });
      },
    );

    void t.test('given fields are kept', async (t) => {
      const user = await seedUser(db, 'pro');
      const row = await createContainer(db, {
        user,
        placer,
        request: {
          name: 'web-1',
          image: 'custom',
          custom_image: 'ghcr.io/acme/web:1.2',
          role: 'node',
          resources: { cpu_millicores: 500, memory_mb: 256 },
        },
      });
      t.match(row, {
        name: 'web-1',
        image: 'custom',
        customImage: 'ghcr.io/acme/web:1.2',
        role: 'node',
        cpuMillicores: 500,
        memoryMb: 256,
        diskMb: 10240,
        networkMbps: 100,
      });
    });

    void t.test('each resource above the tier maximum is refused with its details', async (t) => {
      const cases = [
        ['community', 'cpu_millicores', 2001, 2000],
        ['community', 'memory_mb', 4096, 2048],
        ['community', 'disk_mb', 10241, 10240],
        ['community', 'network_mbps', 11, 10],
        ['pro', 'cpu_millicores', 4001, 4000],
        ['pro', 'memory_mb', 8192, 4096],
        ['enterprise', 'disk_mb', 51201, 51200],
        ['enterprise', 'network_mbps', 1001, 1000],
      ] as const;
      for (const [tier, resource, requested, limit] of cases) {
        const user = await seedUser(db, tier);
        const error = await createContainer(db, {
          user,
          placer,
          request: { ...ubuntu, resources: { [resource]: requested } },
        }).catch((e: unknown) => e);
        t.ok(isRexecError(error, 'resource_limit_exceeded'), `${tier} ${resource}`);
        if (isRexecError(error)) t.same(error.details, { resource, requested, limit, tier });
        t.equal(await countContainers(db, user.id), 0);
      }
      const user = await seedUser(db, 'enterprise');
      const atMax = await createContainer(db, {
        user,
        placer,
        request: { ...ubuntu, resources: { cpu_millicores: 8000, memory_mb: 8192 } },
      });
      t.equal(atMax.cpuMillicores, 8000, 'exactly the maximum is allowed');
    });

    void t.test('non-positive or fractional resources are invalid_request', async (t) => {
      const user = await seedUser(db);
      for (const resources of [{ cpu_millicores: 0 }, { memory_mb: -5 }, { disk_mb: 1.5 }]) {
        await t.rejects(createContainer(db, { user, placer, request: { ...ubuntu, resources } }), {
          code: 'invalid_request',
        });
      }
    });

    void t.test(
      '20 concurrent creates by a community user make exactly 5 containers',
      async (t) => {
        const user = await seedUser(db);
        const before = await getHost(db, host.id);
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => createContainer(db, { user, request: ubuntu, placer })),
        );
        const created = results.filter((result) => result.status === 'fulfilled');
        const refused = results.flatMap((result) =>
          result.status === 'rejected' ? [result.reason as unknown] : [],
        );
        t.equal(created.length, 5);
        t.equal(refused.length, 15);
        t.ok(
          refused.every((error) => isRexecError(error, 'container_limit_reached')),
          'every refusal is container_limit_reached',
        );
        const [first] = refused;
        if (isRexecError(first)) t.same(first.details, { limit: 5, current: 5, tier: 'community' });
        t.equal(await countContainers(db, user.id), 5);
        const after = await getHost(db, host.id);
        t.equal(
          after.reservedCpuMillicores - before.reservedCpuMillicores,
          5 * 1000,
          'the host reserves exactly the five containers',
        );
      },
    );

    void t.test('a name is unique per user among live containers', async (t) => {
      const alice = await seedUser(db);
      const bob = await seedUser(db);
      const request = { ...ubuntu, name: 'dev' };
      const first = await createContainer(db, { user: alice, request, placer });
      await t.rejects(createContainer(db, { user: alice, request, placer }), {
        code: 'name_taken',
        details: { name: 'dev' },
      });
      t.ok(await createContainer(db, { user: bob, request, placer }), 'another user may use it');
      await db.execute(sql`update containers set deleted_at = now() where id = ${first.id}`);
      t.ok(
        await createContainer(db, { user: alice, request, placer }),
        'a deleted container frees its name',
      );
    });

    void t.test(
      'concurrent creates with one name: one wins, the rest are name_taken',
      async (t) => {
        const user = await seedUser(db, 'pro');
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, () =>
            createContainer(db, { user, request: { ...ubuntu, name: 'same' }, placer }),
          ),
        );
        t.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
        t.ok(
          results.every(
            (result) => result.status === 'fulfilled' || isRexecError(result.reason, 'name_taken'),
          ),
        );
      },
    );

    void t.test('custom_image goes with image custom, and only with it', async (t) => {
      const user = await seedUser(db);
      for (const request of [
        { image: 'custom' },
        { image: 'custom', custom_image: ' ' },
        { image: 'alpine:latest', custom_image: 'ghcr.io/acme/app:1' },
      ]) {
        await t.rejects(createContainer(db, { user, request, placer }), {
          code: 'invalid_request',
          details: { issues: [{ path: 'custom_image' }] },
        });
      }
      t.equal(await countContainers(db, user.id), 0);
    });

    void t.test('invalid names are refused', async (t) => {
      const user = await seedUser(db);
      for (const name of ['', 'UPPER', 'under_score', 'x'.repeat(64), 'a b']) {
        await t.rejects(createContainer(db, { user, request: { ...ubuntu, name }, placer }), {
          code: 'invalid_request',
        });
      }
    });

    void t.test("getContainer finds by id or name, and never another user's", async (t) => {
      const owner = await seedUser(db);
      const other = await seedUser(db);
      const row = await createContainer(db, {
        user: owner,
        request: { ...ubuntu, name: 'mine' },
        placer,
      });
      t.equal((await getContainer(db, owner.id, row.id)).id, row.id);
      t.equal((await getContainer(db, owner.id, 'mine')).id, row.id);
      await t.rejects(getContainer(db, other.id, row.id), { code: 'not_found' });
      await t.rejects(getContainer(db, other.id, 'mine'), { code: 'not_found' });
      for (const bad of ['', 'ctr_nope', 'Robert"); drop table users;--', 'x'.repeat(10_000)]) {
        await t.rejects(getContainer(db, owner.id, bad), { code: 'not_found' });
      }
      await t.rejects(getContainer(db, owner.id, newId('ctr')), { code: 'not_found' });
    });

    void t.test('listContainers pages in a stable order with an opaque cursor', async (t) => {
      const user = await seedUser(db, 'enterprise');
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        created.push((await createContainer(db, { user, request: ubuntu, placer })).id);
      }
      // Identical timestamps must still page correctly: order falls back to the id.
      await db.execute(
        sql`update containers set created_at = '2030-01-01T00:00:00Z' where user_id = ${user.id}`,
      );
      const expected = [...created].sort();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listContainers(db, user.id, { limit: 3, cursor });
        seen.push(...page.rows.map((row) => row.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined && pages < 10);
      t.same(seen, expected);
      t.equal(pages, 3);
      const all = await listContainers(db, user.id, { limit: 100 });
      t.equal(all.nextCursor, null);
      t.equal(all.rows.length, 7);
    });

    void t.test('listContainers filters by status and validates its options', async (t) => {
      const user = await seedUser(db);
      const a = await createContainer(db, { user, request: ubuntu, placer });
      await createContainer(db, { user, request: ubuntu, placer });
      await db.execute(sql`update containers set status = 'stopped' where id = ${a.id}`);
      const stopped = await listContainers(db, user.id, { status: 'stopped', limit: 10 });
      t.same(
        stopped.rows.map((row) => row.id),
        [a.id],
      );
      t.equal(
        (await listContainers(db, user.id, { status: 'creating', limit: 10 })).rows.length,
        1,
      );
      for (const options of [{ limit: 0 }, { limit: 101 }, { limit: 2.5 }]) {
        await t.rejects(listContainers(db, user.id, options), { code: 'invalid_request' });
      }
      for (const cursor of ['garbage', '', Buffer.from('[1,"x"]').toString('base64url')]) {
        await t.rejects(listContainers(db, user.id, { limit: 10, cursor }), {
          code: 'invalid_request',
        });
      }
    });
  });
}
