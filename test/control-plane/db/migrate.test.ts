// Migrations on both drivers: a fresh database migrates, a second run is a no-op, a broken
// migration throws with its cause and keeps nothing of itself, the events table is append-only, and
// pg replicas migrating at once do not race. Also checks that rate_limits fits rate-limiter-flexible.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectRows, sql } from '../../../packages/control-plane/src/db/index.js';
import { recordEvent } from '../../../packages/control-plane/src/services/events.js';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import t, { type Test } from 'tap';
import {
  MIGRATIONS_FOLDER,
  migrateDatabase,
} from '../../../packages/control-plane/src/db/migrate.js';
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import { DB_DRIVERS, freshDatabase } from '../../helpers/postgres.js';
import { openFor } from './migrated-database.js';

const TABLES = [
  'api_tokens',
  'audit_log',
  'container_stats',
  'containers',
  'events',
  'host_credentials',
  'host_join_tokens',
  'hosts',
  'rate_limits',
  'relayed_commands',
  'replicas',
  'tiers',
  'users',
  'webhook_deliveries',
  'webhooks',
];

async function publicTables(database: Database): Promise<string[]> {
  const result = await selectRows<{ table_name: string }>(
    database.db,
    sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
  );
  return result.map((row) => row.table_name);
}

/** How many migrations the committed journal holds: every one must be applied. */
async function committedMigrations(): Promise<number> {
  const journal = JSON.parse(
    await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as { entries: unknown[] };
  return journal.entries.length;
}

async function appliedMigrations(database: Database): Promise<number> {
  const result = await selectRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return result[0]?.n ?? -1;
}

/** A copy of the real migrations plus one whose second statement fails. */
async function brokenMigrationsFolder(t: Test): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'rexec-broken-migrations-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
    entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
  };
  const last = journal.entries.at(-1);
  if (last === undefined) throw new Error('the committed journal has no entries');
  const tag = `${String(last.idx + 1).padStart(4, '0')}_broken`;
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag });
  await writeFile(journalPath, JSON.stringify(journal));
  await writeFile(
    join(folder, `${tag}.sql`),
    'CREATE TABLE "should_not_survive" ("id" integer);\n--> statement-breakpoint\n' +
      'SELECT "no_such_column" FROM "users";\n',
  );
  return folder;
}

for (const driver of DB_DRIVERS) {
  void t.test(driver, (t) => {
    void t.test('a fresh database migrates to every table', async (t) => {
      const database = await openFor(t, await freshDatabase(t, driver));
      await migrateDatabase(database);
      t.same(await publicTables(database), TABLES);
      t.equal(await appliedMigrations(database), await committedMigrations());
    });

    void t.test('migrating an already-migrated database is a no-op', async (t) => {
      const target = await freshDatabase(t, driver);
      const first = await openFor(t, target);
      await migrateDatabase(first);
      await first.db.execute(sql`insert into tiers (name, cpu_millicores, memory_mb, disk_mb,
        network_mbps, default_cpu_millicores, default_memory_mb, default_disk_mb,
        default_network_mbps, max_containers, rate_create_per_min, rate_ops_per_min,
        rate_list_per_min)
        values ('kept', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)`);
      // PGlite allows one open instance per directory, so reopen the same database after closing.
      await first.close();
      const second = await openFor(t, target);
      await migrateDatabase(second);
      t.equal(await appliedMigrations(second), await committedMigrations());
      const kept = await selectRows<{ name: string }>(second.db, sql`select name from tiers`);
      t.same(
        kept.map((row) => row.name),
        ['kept'],
      );
    });

    void t.test('the events table accepts inserts and refuses updates and deletes', async (t) => {
      const database = await openFor(t, await freshDatabase(t, driver));
      await migrateDatabase(database);
      await recordEvent(database.db, { type: 'user.created', reason: 'test' });
      for (const [label, statement] of [
        ['update', sql`update events set reason = 'rewritten'`],
        ['delete', sql`delete from events`],
        ['truncate', sql`truncate events`],
      ] as const) {
        const error = await database.db.execute(statement).then(
          () => null,
          (caught: unknown) => caught,
        );
        // drizzle wraps the driver error; the trigger's message is on the cause.
        t.match(error, { cause: { message: /append-only/ } }, `${label} is refused`);
      }
      const rows = await selectRows<{ reason: string }>(
        database.db,
        sql`select reason from events`,
      );
      t.same(rows, [{ reason: 'test' }]);
    });

    void t.test(
      'a broken migration throws with its cause and keeps nothing of itself',
      async (t) => {
        const database = await openFor(t, await freshDatabase(t, driver));
        await migrateDatabase(database);
        const folder = await brokenMigrationsFolder(t);
        const error = await migrateDatabase(database, { migrationsFolder: folder }).then(
          () => null,
          (caught: unknown) => caught,
        );
        t.ok(error instanceof Error, 'migrateDatabase rejects');
        if (!(error instanceof Error)) return;
        t.match(error.message, /database migration failed/);
        t.match(error.message, /no_such_column/);
        t.ok(error.cause, 'the driver error is kept as the cause');
        t.notOk((await publicTables(database)).includes('should_not_survive'));
        t.equal(await appliedMigrations(database), await committedMigrations());
      },
    );
    t.end();
  });
}

void t.test('pg: replicas migrating the same database at once both succeed', async (t) => {
  const target = await freshDatabase(t, 'pg');
  const replicas = await Promise.all([0, 1, 2].map(() => openFor(t, target)));
  await Promise.all(replicas.map((replica) => migrateDatabase(replica)));
  const [first] = replicas;
  if (first === undefined) throw new Error('no replica');
  t.equal(await appliedMigrations(first), await committedMigrations());
  t.same(await publicTables(first), TABLES);
});

void t.test('pg: rate_limits fits the rate-limiter-flexible Postgres store', async (t) => {
  const target = await freshDatabase(t, 'pg');
  const database = await openFor(t, target);
  await migrateDatabase(database);
  const limiter = new RateLimiterPostgres({
    storeClient: database.pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    points: 2,
    duration: 60,
  });
  await limiter.consume('usr_x:create');
  const second = await limiter.consume('usr_x:create');
  t.equal(second.remainingPoints, 0);
  const refusal = await limiter.consume('usr_x:create').then(
    () => null,
    (rejection: unknown) => rejection,
  );
  t.match(refusal, { remainingPoints: 0 }, 'the third point in the window is refused');
});

/** A copy of the committed migrations that stops before the one tagged `tag`. */
async function migrationsBefore(t: Test, tag: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'rexec-early-migrations-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const stop = journal.entries.findIndex((entry) => entry.tag === tag);
  if (stop < 0) throw new Error(`no migration tagged ${tag}`);
  journal.entries = journal.entries.slice(0, stop);
  await writeFile(journalPath, JSON.stringify(journal));
  return folder;
}

for (const driver of DB_DRIVERS) {
  void t.test(`${driver}: upgraded tiers get defaults within the maxima they had`, async (t) => {
    const database = await openFor(t, await freshDatabase(t, driver));
    await migrateDatabase(database, {
      migrationsFolder: await migrationsBefore(t, '0009_tier_default_resources'),
    });
    // Tiers as an older release seeded them, community's CPU maximum lowered by an admin.
    await database.db.execute(sql`insert into tiers (name, cpu_millicores, memory_mb, disk_mb,
        network_mbps, max_containers, session_hours, rate_create_per_min, rate_ops_per_min,
        rate_list_per_min)
      values ('community', 800, 2048, 10240, 10, 5, 50, 10, 60, 120),
        ('enterprise', 8000, 8192, 51200, 1000, 25, null, 10, 60, 120),
        ('custom', 300, 400, 500, 6, 1, 1, 10, 60, 120)`);
    await migrateDatabase(database);
    const rows = await selectRows<{ name: string; defaults: number[] }>(
      database.db,
      sql`select name, array[default_cpu_millicores, default_memory_mb, default_disk_mb,
          default_network_mbps] as defaults from tiers order by name`,
    );
    t.same(rows, [
      { name: 'community', defaults: [800, 1024, 5120, 10] },
      { name: 'custom', defaults: [300, 400, 500, 6] },
      { name: 'enterprise', defaults: [2000, 4096, 20480, 1000] },
    ]);
  });
}
