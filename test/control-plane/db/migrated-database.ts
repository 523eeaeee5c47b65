// Opens a fresh, migrated (and by default tier-seeded) database on the given driver for the data
// layer's suites, closed when the test ends. Creating and dropping the empty database is the
// harness's job (test/helpers/postgres.ts).
import type { Test } from 'tap';
import { migrateDatabase } from '../../../packages/control-plane/src/db/migrate.js';
import { openDatabase, type Database } from '../../../packages/control-plane/src/db/open.js';
import { seedTiers } from '../../../packages/control-plane/src/services/tiers.js';
import { freshDatabase, type DbDriver, type DbTarget } from '../../helpers/postgres.js';

/** Opens `target` and closes it when `t` ends. */
export async function openFor(t: Test, target: DbTarget): Promise<Database> {
  const database = await openDatabase(target);
  t.teardown(() => database.close());
  return database;
}

export async function migratedDatabase(
  t: Test,
  driver: DbDriver,
  options: { seed?: boolean } = {},
): Promise<Database> {
  const database = await openFor(t, await freshDatabase(t, driver));
  await migrateDatabase(database);
  if (options.seed ?? true) await seedTiers(database.db);
  return database;
}
