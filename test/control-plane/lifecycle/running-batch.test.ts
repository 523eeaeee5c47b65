// Moves to `running` that happen at the same moment share one statement on both drivers, and each
// still behaves as if alone: its own guard (a changed or deleted row is left alone and answers
// null), its own events row, a second move of the same row failing as it would one by one, and an
// illegal move refused before anything is written. On Postgres, a batch on a table without
// statistics yet still finds its rows by primary key.
import t from 'tap';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import type { ContainerRow } from '../../../packages/control-plane/src/db/schema/containers.js';
import { markRunning } from '../../../packages/control-plane/src/lifecycle/outcomes.js';
import { IllegalTransitionError } from '../../../packages/control-plane/src/lifecycle/transitions.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { createContainer } from '../../../packages/control-plane/src/services/containers.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { migratedDatabase } from '../db/migrated-database.js';
import { seedHost, seedUser } from '../services/fixtures.js';
import { createRunningBatcher } from '../../../packages/control-plane/src/lifecycle/running-batch.js';

interface RunningEvent extends Record<string, unknown> {
  container_id: string;
  reason: string;
  detail: { from: string };
  at_ms: number;
}

async function runningEvents(db: Db, ids: readonly string[]): Promise<RunningEvent[]> {
  return selectRows<RunningEvent>(
    db,
    sql`select container_id, reason, detail, (extract(epoch from at) * 1000)::float8 as at_ms
        from events where type = 'container.running'
          and container_id = any(${sql.param([...ids])}::text[])
        order by id`,
  );
}

async function statusOf(db: Db, id: string): Promise<string | undefined> {
  const [row] = await selectRows<{ status: string }>(
    db,
    sql`select status from containers where id = ${id}`,
  );
  return row?.status;
}

for (const driver of DB_DRIVERS) {
  void t.test(driver, async (t) => {
    const database = await migratedDatabase(t, driver);
    const { db } = database;
    const store = { db, running: createRunningBatcher(db) };
    const placer = createPlacer({ db, strategy: 'binpack', cpuOvercommit: DEFAULT_CPU_OVERCOMMIT });
    const host = await seedHost(db);
    const user = await seedUser(db, 'enterprise');
    const create = (): Promise<ContainerRow> =>
      createContainer(db, { user, request: { image: 'ubuntu:24.04' }, placer });

    await t.test('moves made together are one statement, each with its events row', async (t) => {
      const rows = await Promise.all(Array.from({ length: 12 }, create));
      const before = Date.now();
      const moved = await Promise.all(
        rows.map((row) => markRunning(store, row, undefined, 'created', null, 2)),
      );
      for (const [index, row] of moved.entries()) {
        t.equal(row?.id, rows[index]?.id, 'each caller gets its own row back');
        t.equal(row?.status, 'running');
        t.equal(row?.desiredStatus, 'running');
        const expires = row?.sessionExpiresAt?.getTime() ?? 0;
        t.ok(expires >= before + 2 * 3_600_000, 'the session clock starts with the given hours');
      }
      const events = await runningEvents(
        db,
        rows.map((row) => row.id),
      );
      t.equal(events.length, rows.length, 'one events row per container');
      t.same(new Set(events.map((event) => event.container_id)).size, rows.length);
      t.ok(events.every((event) => event.reason === 'created' && event.detail.from === 'creating'));
      // now() is the transaction's start: one value for all means one statement wrote them.
      t.equal(new Set(events.map((event) => event.at_ms)).size, 1, 'written by one statement');
    });

    await t.test('a row moved twice at once moves once; the second answers null', async (t) => {
      const row = await create();
      const [first, second] = await Promise.all([
        markRunning(store, row, undefined, 'created', null, null),
        markRunning(store, row, undefined, 'reconciled', null, null),
      ]);
      t.equal(first?.status, 'running');
      t.equal(second, null, 'its guard sees the first move');
      t.equal((await runningEvents(db, [row.id])).length, 1);
    });

    await t.test(
      'a row changed or deleted meanwhile is left alone, beside one moved',
      async (t) => {
        const [changed, deleted, fine] = await Promise.all([create(), create(), create()]);
        if (changed === undefined || deleted === undefined || fine === undefined) throw new Error();
        await db.execute(sql`update containers set status = 'error' where id = ${changed.id}`);
        await db.execute(sql`update containers set deleted_at = now() where id = ${deleted.id}`);
        const [a, b, c] = await Promise.all(
          [changed, deleted, fine].map((row) => markRunning(store, row, undefined, 'created')),
        );
        t.equal(a, null, 'status changed since it was read');
        t.equal(b, null, 'deleted since it was read');
        t.equal(c?.status, 'running');
        t.equal(await statusOf(db, changed.id), 'error');
        t.same(
          (await runningEvents(db, [changed.id, deleted.id, fine.id])).map((e) => e.container_id),
          [fine.id],
        );
      },
    );

    if (driver === 'pg') {
      // auto_explain, at NOTICE, hands this connection the plan of every statement inside the
      // function. The table has just grown and was never analysed, as after a burst on a new
      // install: planned from the guards, a batch used to read every live container.
      await t.test('on a young table a batch reaches its rows by key alone', async (t) => {
        const owner = await seedUser(db, 'enterprise', 'young');
        await db.execute(sql`insert into containers (id, user_id, name, image, role,
            desired_status, status, host_id, cpu_millicores, memory_mb, disk_mb, network_mbps)
          select 'ctr_young' || g, ${owner.id}, 'young-' || g, 'ubuntu:24.04', 'barebone',
            'running', 'creating', ${host.id}, 1, 1, 1, 1
          from generate_series(1, 500) g`);
        const pool = database.pool;
        if (pool === undefined) throw new Error('the pg driver has no pool');
        const client = await pool.connect();
        const plans: string[] = [];
        client.on('notice', (notice) => plans.push(notice.message ?? ''));
        try {
          await client.query(`LOAD 'auto_explain'`);
          await client.query(`SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice`);
          const { rows } = await client.query<{ id: string }>(
            `select id from rexec_move_to_running($1, $2, $3, $4, $5, $6, $7)`,
            [
              ['ctr_young7', 'ctr_young400'],
              ['creating', 'creating'],
              [host.id, host.id],
              [new Date(), new Date()],
              [null, null],
              ['created', 'created'],
              [null, null],
            ],
          );
          t.same(rows.map((row) => row.id).sort(), ['ctr_young400', 'ctr_young7']);
        } finally {
          // LOAD lasts as long as the connection: this one is not given back to the pool.
          client.release(true);
        }
        const nested = plans.filter((plan) => /\bcontainers\b/.test(plan));
        t.ok(nested.length >= 4, 'the plans of the statements inside the function were seen');
        t.ok(nested.some((plan) => plan.includes('containers_pkey')));
        t.notOk(
          nested.some((plan) => plan.includes('containers_user_name_live_idx')),
          'no plan reads the live containers index',
        );
        t.notOk(
          nested.some((plan) => plan.includes('Seq Scan on containers')),
          'no plan scans the table',
        );
      });
    }

    await t.test('flush resolves once every move asked for is written', async (t) => {
      await store.running.flush();
      t.pass('with nothing waiting it resolves at once');
      const rows = await Promise.all(Array.from({ length: 5 }, create));
      const moves = rows.map((row) => markRunning(store, row, undefined, 'created', null, 1));
      // Asked for, not awaited: what shutdown does before it closes the pool.
      await Promise.resolve();
      await store.running.flush();
      for (const row of rows) t.equal(await statusOf(db, row.id), 'running', `${row.id} written`);
      await Promise.all(moves);
    });

    await t.test('an illegal move is refused before anything is written', async (t) => {
      const row = await create();
      await t.rejects(
        markRunning(store, { ...row, status: 'deleting' }, undefined, 'created', null, null),
        IllegalTransitionError,
      );
      t.equal(await statusOf(db, row.id), 'creating');
    });
  });
}
