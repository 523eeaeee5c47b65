// The hosts a test run made, for the leftovers check at its end (leftovers.ts, tap-after.ts): each
// per-file Postgres database, just before it is dropped, adds its hosts' ids to a file kept beside
// the run's Postgres state (keyed by the tap runner's pid, as postgres-run.ts does). Host ids are
// random, so resources labelled with them are this run's and never a concurrent run's.
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const STATE_DIR = join(tmpdir(), 'rexec-test-runs');

function hostsPath(ownerPid: number): string {
  return join(STATE_DIR, `hosts-${ownerPid}.txt`);
}

/** Appends the ids of the hosts in the database at `url` to the run's list; none when it has no table. */
export async function recordRunHosts(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>('select id from hosts');
    if (result.rows.length === 0) return;
    mkdirSync(STATE_DIR, { recursive: true });
    // A test process's parent is the tap runner (the run); a file run alone is its own run.
    appendFileSync(hostsPath(process.ppid), result.rows.map((row) => `${row.id}\n`).join(''));
  } catch (error) {
    // undefined_table: a database the test never migrated made no hosts.
    if ((error as { code?: string }).code !== '42P01') throw error;
  } finally {
    await client.end();
  }
}

/** The ids recorded for the run owned by ownerPid. */
export function runHosts(ownerPid: number): Set<string> {
  try {
    const text = readFileSync(hostsPath(ownerPid), 'utf8');
    return new Set(text.split('\n').filter((line) => line !== ''));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

export function forgetRunHosts(ownerPid: number): void {
  rmSync(hostsPath(ownerPid), { force: true });
}
