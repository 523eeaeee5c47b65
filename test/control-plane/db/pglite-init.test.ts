// A new PGlite data directory is made by initdb in a child process: the directory then holds a
// cluster the control plane opens, a directory that already holds one is left alone, and a child
// that fails is an error carrying its stderr. Real PGlite; nothing is faked.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import t, { type Test } from 'tap';
import { openDatabase } from '../../../packages/control-plane/src/db/open.js';
import { initPgliteInChild } from '../../../packages/control-plane/src/db/pglite-init.js';

async function emptyDataDir(t: Test): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'rexec-pglite-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  return join(root, 'db');
}

void t.test('makes a cluster that then opens and answers', async (t) => {
  const dataDir = await emptyDataDir(t);
  await initPgliteInChild(dataDir, PGlite.defaultStartParams);
  t.match(await readFile(join(dataDir, 'PG_VERSION'), 'utf8'), /^\d+\n$/);
  const database = await openDatabase({ dataDir });
  t.teardown(() => database.close());
  await database.ping();
});

void t.test('leaves a directory that already holds a cluster alone', async (t) => {
  const dataDir = await emptyDataDir(t);
  await initPgliteInChild(dataDir, PGlite.defaultStartParams);
  const before = await stat(join(dataDir, 'global', 'pg_control'));
  // Parameters Postgres would refuse: nothing may start for a directory that is already made.
  await initPgliteInChild(dataDir, ['--no-such-option']);
  const after = await stat(join(dataDir, 'global', 'pg_control'));
  t.equal(after.mtimeMs, before.mtimeMs, 'the control file is untouched');
});

void t.test('a failing child is an error with its status and stderr', async (t) => {
  const dataDir = await emptyDataDir(t);
  const error = await initPgliteInChild(dataDir, [
    ...PGlite.defaultStartParams,
    '-c',
    'no_such_setting=1',
  ]).then(
    () => null,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof Error, 'rejects');
  if (!(error instanceof Error)) return;
  t.match(error.message, `initdb for ${dataDir} in a child process exited with 1`);
  t.match(
    error.message,
    /unrecognized configuration parameter "no_such_setting"/,
    'Postgres’s own message, from the child’s stderr, is in the error',
  );
});
