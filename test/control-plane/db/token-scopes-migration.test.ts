// Migration 0011 gives tokens made before scopes existed every right their user has: read and
// write for everyone, admin too for administrators' tokens. The database is migrated to 0010,
// tokens are made the old way (plain SQL, no scopes column yet), then the rest is applied.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import {
  MIGRATIONS_FOLDER,
  migrateDatabase,
} from '../../../packages/control-plane/src/db/migrate.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { freshDatabase } from '../../helpers/postgres.js';
import { openFor } from './migrated-database.js';

const SCOPES_MIGRATION = '0011_token_scopes_user_disabled';

/** The committed migrations up to (not including) `tag`. */
async function migrationsBefore(t: Test, tag: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'rexec-old-migrations-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
    entries: { tag: string }[];
  };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  if (cut < 0) throw new Error(`no migration ${tag} in the journal`);
  for (const entry of journal.entries.slice(cut)) await rm(join(folder, `${entry.tag}.sql`));
  journal.entries = journal.entries.slice(0, cut);
  await writeFile(journalPath, JSON.stringify(journal));
  t.ok((await readdir(folder)).length > 0);
  return folder;
}

void t.test('tokens from before scopes keep every right of their user', async (t) => {
  const database = await openFor(t, await freshDatabase(t, 'pg'));
  await migrateDatabase(database, {
    migrationsFolder: await migrationsBefore(t, SCOPES_MIGRATION),
  });
  // Plain SQL as for the rows below: the tiers table as of 0010 (seedTiers writes today's columns).
  await database.db.execute(sql`
    insert into tiers (name, cpu_millicores, memory_mb, disk_mb, network_mbps,
      default_cpu_millicores, default_memory_mb, default_disk_mb, default_network_mbps,
      max_containers, session_hours, rate_create_per_min, rate_ops_per_min, rate_list_per_min)
    values ('community', 1000, 1024, 5120, 10, 1000, 1024, 5120, 10, 3, 4, 10, 60, 120),
      ('enterprise', 4000, 8192, 51200, 1000, 2000, 4096, 20480, 1000, 50, null, 60, 600, 1200)`);
  await database.db.execute(sql`
    insert into users (id, name, tier, is_admin) values
      ('usr_${sql.raw('a'.repeat(32))}', 'old-admin', 'enterprise', true),
      ('usr_${sql.raw('b'.repeat(32))}', 'old-user', 'community', false)`);
  await database.db.execute(sql`
    insert into api_tokens (id, user_id, name, token_hash, token_prefix) values
      ('tok_${sql.raw('a'.repeat(32))}', 'usr_${sql.raw('a'.repeat(32))}', 'a', 'hash-a', 'rexec_a'),
      ('tok_${sql.raw('b'.repeat(32))}', 'usr_${sql.raw('b'.repeat(32))}', 'b', 'hash-b', 'rexec_b')`);
  await migrateDatabase(database);
  const rows = await selectRows<{ name: string; scopes: string[]; expires_at: Date | null }>(
    database.db,
    sql`select name, scopes, expires_at from api_tokens order by name`,
  );
  t.same(rows, [
    { name: 'a', scopes: ['read', 'write', 'admin'], expires_at: null },
    { name: 'b', scopes: ['read', 'write'], expires_at: null },
  ]);
});
