// Placement under contention on real Postgres: two control plane replicas (two pools on one
// database, one binpack, one spread) firing many creates at once fill the fleet exactly and never
// over-reserve a host; a host another transaction is reserving on is skipped instead of waited for,
// and when only a busy host fits the create waits and re-checks the latest reservation; a create
// that shared an older snapshot read decides no_capacity only on a fresh one, and one whose
// best-ranked hosts all filled up meanwhile goes on down the ranking. pg only: PGlite is
// one connection, so it has no concurrent transactions to test.
import t, { type Test } from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import type { Db, Tx } from '../../../packages/control-plane/src/db/open.js';
import { isRexecError } from '../../../packages/control-plane/src/errors.js';
import { createPlacer, type Placer } from '../../../packages/control-plane/src/scheduler/placer.js';
import {
  createContainer,
  type CreateContainerRequest,
} from '../../../packages/control-plane/src/services/containers.js';
import { getHost } from '../../../packages/control-plane/src/services/hosts.js';
import { getTier, seedTiers } from '../../../packages/control-plane/src/services/tiers.js';
import { freshDatabase } from '../../helpers/postgres.js';
import { openFor } from '../db/migrated-database.js';
import { seedHost, seedUser } from './fixtures.js';

const binpackOn = (db: Db): Placer => createPlacer({ db, strategy: 'binpack', cpuOvercommit: 1 });
// Each host below fits exactly four of these by CPU; memory and disk never bind.
const small: CreateContainerRequest = {
  image: 'ubuntu:24.04',
  resources: { cpu_millicores: 250, memory_mb: 64, disk_mb: 64 },
};

interface HostCheck {
  over: number;
  mismatch: number;
  placed: number;
}

async function checkHosts(db: Db): Promise<HostCheck> {
  const [row] = await selectRows<{ over: number; mismatch: number; placed: number }>(
    db,
    sql`with per_host as (
          select
            h.reserved_cpu_millicores > h.capacity_cpu_millicores as over,
            h.reserved_cpu_millicores <> coalesce(sum(c.cpu_millicores), 0)
              or h.reserved_memory_mb <> coalesce(sum(c.memory_mb), 0)
              or h.reserved_disk_mb <> coalesce(sum(c.disk_mb), 0) as mismatch,
            count(c.id)::int as placed
          from hosts h
          left join containers c on c.host_id = h.id and c.deleted_at is null
          group by h.id
        )
        select count(*) filter (where over)::int as over,
          count(*) filter (where mismatch)::int as mismatch,
          coalesce(sum(placed), 0)::int as placed
        from per_host`,
  );
  if (row === undefined) throw new Error('the host check returned no row');
  return row;
}

void t.test('pg: two replicas placing at once fill the fleet exactly', async (t) => {
  const target = await freshDatabase(t, 'pg');
  const [one, two] = await Promise.all([openFor(t, target), openFor(t, target)]);
  if (one === undefined || two === undefined) throw new Error('no replicas');
  await migrateDatabase(one);
  await seedTiers(one.db);
  const hosts = await Promise.all(
    Array.from({ length: 6 }, () =>
      seedHost(one.db, {
        capacityCpuMillicores: 1000,
        capacityMemoryMb: 100_000,
        capacityDiskMb: 100_000,
      }),
    ),
  );
  const users = await Promise.all(Array.from({ length: 6 }, () => seedUser(one.db, 'pro')));
  // 24 places, 60 attempts (ten per user, the pro limit): half from each replica, every user on
  // both.
  const replicas = [
    { db: one.db, placer: binpackOn(one.db) },
    { db: two.db, placer: createPlacer({ db: two.db, strategy: 'spread', cpuOvercommit: 1 }) },
  ];
  const attempts = Array.from({ length: 60 }, (_, i) => {
    const replica = replicas[i % 2];
    const user = users[i % users.length];
    if (user === undefined || replica === undefined) throw new Error('no user');
    return createContainer(replica.db, { user, request: small, placer: replica.placer });
  });
  const results = await Promise.allSettled(attempts);
  const created = results.filter((result) => result.status === 'fulfilled');
  const refused = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  t.equal(created.length, hosts.length * 4, 'every place in the fleet is taken');
  t.ok(
    refused.every((error) => isRexecError(error, 'no_capacity')),
    'every other create is no_capacity',
  );
  t.same(await checkHosts(one.db), { over: 0, mismatch: 0, placed: hosts.length * 4 });
});

async function lockWaits(db: Db): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return row?.n ?? 0;
}

void t.test(
  'pg: a host being reserved on is skipped; with none free the create waits',
  async (t) => {
    const target = await freshDatabase(t, 'pg');
    const [one, two] = await Promise.all([openFor(t, target), openFor(t, target)]);
    if (one === undefined || two === undefined) throw new Error('no replicas');
    await migrateDatabase(one);
    await seedTiers(one.db);
    const fuller = await seedHost(one.db, {
      capacityCpuMillicores: 1000,
      reservedCpuMillicores: 500,
    });
    const emptier = await seedHost(one.db, { capacityCpuMillicores: 1000 });
    const placer = binpackOn(two.db);
    // Each by a user of its own, so only host rows are contended.
    const place = async (cpuMillicores: number): Promise<string | null> => {
      const user = await seedUser(one.db, 'enterprise');
      const resources = { cpu_millicores: cpuMillicores, memory_mb: 64, disk_mb: 64 };
      const request = { image: 'ubuntu:24.04' as const, resources };
      return createContainer(two.db, { user, request, placer }).then(
        (row) => row.hostId,
        (error: unknown) => {
          if (isRexecError(error, 'no_capacity')) return null;
          throw error;
        },
      );
    };

    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reservedFirst = (): void => undefined;
    const firstReserved = new Promise<void>((resolve) => (reservedFirst = resolve));
    // Replica one reserves 250 on the fuller host with the statement every create runs
    // (rexec_reserve_host) and keeps its transaction, and the host's row lock, open.
    const first = one.db.transaction(async (tx) => {
      const [row] = await selectRows<{ id: string | null }>(
        tx,
        sql`select rexec_reserve_host(array[${fuller.id}]::text[], 250, 64, 64, true, 100) as id`,
      );
      reservedFirst();
      await held;
      return row?.id;
    });
    await firstReserved;

    // Replica two sees fuller at 500 and would choose it too; it is locked, so the next host it is.
    t.equal(await place(250), emptier.id, 'the locked host is skipped, not waited for');
    t.equal(await place(500), emptier.id, 'still skipped while its transaction is open');
    t.equal((await getHost(two.db, emptier.id)).reservedCpuMillicores, 750);
    // Emptier has 250 left; binpack prefers it now (it ends up full), and it is not locked.
    t.equal(await place(250), emptier.id);

    // Only the locked host fits: the create waits for its lock instead of answering no capacity.
    const waiting = place(250);
    while ((await lockWaits(two.db)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    t.equal(await first, fuller.id);
    t.equal(await waiting, fuller.id, 'after the commit it re-checks the latest reservation');
    t.equal((await getHost(one.db, fuller.id)).reservedCpuMillicores, 1000);
    t.equal((await getHost(one.db, emptier.id)).reservedCpuMillicores, 1000);
    t.equal(await place(1), null, 'a full fleet is no placement');
  },
);

/** Two replicas (two pools) on a fresh migrated database, with a user of the `pro` tier. */
async function replicasWithProUser(t: Test) {
  const target = await freshDatabase(t, 'pg');
  const [one, two] = await Promise.all([openFor(t, target), openFor(t, target)]);
  if (one === undefined || two === undefined) throw new Error('no replicas');
  await migrateDatabase(one);
  await seedTiers(one.db);
  const user = await seedUser(one.db, 'pro');
  return { one, two, user, tier: await getTier(one.db, 'pro') };
}

/**
 * Makes `change` on `db` in a transaction that then holds the user's row until the returned
 * commit: a create for that user meanwhile reads its snapshot without the change and reserves
 * only once it is committed.
 */
async function holdingUserRow(
  db: Db,
  userId: string,
  change: (tx: Tx) => Promise<unknown>,
): Promise<() => Promise<void>> {
  let commit = (): void => undefined;
  const committing = new Promise<void>((resolve) => (commit = resolve));
  let held = (): void => undefined;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const done = db.transaction(async (tx) => {
    await change(tx);
    await tx.execute(sql`select id from users where id = ${userId} for update`);
    held();
    await committing;
  });
  await Promise.race([holding, done]);
  return async () => {
    commit();
    await done;
  };
}

void t.test(
  'pg: a create that joined an older snapshot looks again before answering no capacity',
  async (t) => {
    const { one, two, user, tier } = await replicasWithProUser(t);
    const host = await seedHost(one.db, { status: 'unreachable' });
    // Replica one brings the host back, uncommitted: the create reads before it is online.
    const commit = await holdingUserRow(one.db, user.id, (tx) =>
      tx.execute(sql`update hosts set status = 'online' where id = ${host.id}`),
    );

    // A read already under way (another create's) that cannot see the host: the create joins it.
    const placer = binpackOn(two.db);
    const older = placer.snapshot();
    const creating = createContainer(two.db, { user, tier, request: small, placer });
    t.same((await older).hosts, [], 'the shared read predates the host');
    await commit();
    const row = await creating;
    t.equal(row.hostId, host.id, 'placed on the host a fresh snapshot shows');
  },
);

void t.test(
  'pg: when every host at the head of the ranking has filled up, the rest of the fleet is tried',
  async (t) => {
    const { one, two, user, tier } = await replicasWithProUser(t);
    // 24 hosts with room for one more; binpack ranks them fullest first, so the list is in order.
    const fleet = [];
    for (let i = 0; i < 24; i++) {
      fleet.push(
        await seedHost(one.db, { capacityCpuMillicores: 1000, reservedCpuMillicores: 700 - i }),
      );
    }
    const filled = fleet.slice(0, 20).map((host) => host.id);
    // Replica one fills the first 20, uncommitted: the create ranks them first, then finds them full.
    const commit = await holdingUserRow(one.db, user.id, (tx) =>
      tx.execute(
        sql`update hosts set reserved_cpu_millicores = capacity_cpu_millicores
            where id in (${sql.join(
              filled.map((id) => sql`${id}`),
              sql`, `,
            )})`,
      ),
    );
    const creating = createContainer(two.db, {
      user,
      tier,
      request: small,
      placer: binpackOn(two.db),
    });
    while ((await lockWaits(one.db)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await commit();
    const row = await creating;
    t.equal(row.hostId, fleet[20]?.id, 'the best-ranked host that still has room');
    t.equal((await getHost(one.db, row.hostId ?? '')).reservedCpuMillicores, 680 + 250);
    for (const id of filled) {
      t.equal((await getHost(one.db, id)).reservedCpuMillicores, 1000, 'a full host got nothing');
    }
  },
);
