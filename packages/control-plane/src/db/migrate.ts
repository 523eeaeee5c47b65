// Applies the committed drizzle-kit migrations (packages/control-plane/drizzle) on either driver.
// On pg it holds a session advisory lock so replicas starting together migrate one at a time.
// Stopping the process on failure is the caller's job: this throws with the driver error as cause.
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { Database } from './open.js';

/** Resolved from this module, so it works from both src/db/ and dist/db/. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Arbitrary but fixed: every replica must use the same key. ("rexec" in ASCII.) */
const MIGRATION_LOCK_KEY = 0x7265786563;

export interface MigrateOptions {
  /** Override for tests; defaults to the package's committed migrations. */
  migrationsFolder?: string;
}

export async function migrateDatabase(
  database: Database,
  options: MigrateOptions = {},
): Promise<void> {
  const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  try {
    if (database.driver === 'pg') {
      await migrateLocked(database, migrationsFolder);
    } else {
      // The pglite driver's db is a PgliteDatabase at runtime; the shared Db type hides that.
      await migratePglite(database.db as PgliteDatabase<Record<string, unknown>>, {
        migrationsFolder,
      });
    }
  } catch (error) {
    throw new Error(`database migration failed (${migrationsFolder}): ${describe(error)}`, {
      cause: error,
    });
  }
}

async function migrateLocked(database: Database, migrationsFolder: string): Promise<void> {
  if (database.pool === undefined) throw new Error('the pg driver has no pool');
  const client = await database.pool.connect();
  let failed = false;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(drizzlePg({ client }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A client in an unknown state after a failure is destroyed rather than reused.
    client.release(failed);
  }
}

function describe(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && messages.length < 4) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}
