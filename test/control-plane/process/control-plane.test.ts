// The real rexec-control-plane process: it starts and logs where it listens, the bootstrap admin
// token works and sits in a 0600 file, a restart keeps the admin without a new token, bad
// configuration and a failing migration stop it before listening, and SIGTERM exits 0 (after
// REXEC_SHUTDOWN_DELAY_SECONDS of answering /readyz 503 while still serving, when set).
import { Me } from '@rexec/protocol';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { freshDatabase } from '../../helpers/postgres.js';
import { generateToken, startControlPlane } from '../../helpers/processes.js';
import { runToExit } from './run.js';

async function me(url: string, token: string): Promise<Response> {
  return fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
}

void t.test(
  'starts, serves the admin, keeps it across a restart and exits 0 on SIGTERM',
  async (t) => {
    const first = await startControlPlane(t);
    t.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await me(first.url, first.adminToken);
    t.equal(res.status, 200);
    const body = Me.parse(await res.json());
    t.equal(body.user.is_admin, true);
    t.equal((await fetch(`${first.url}/healthz`)).status, 200);
    t.equal((await fetch(`${first.url}/readyz`)).status, 200);

    const file = join(first.dataDir, 'admin-token');
    t.equal((await stat(file)).mode & 0o777, 0o600, 'admin-token is mode 0600');
    t.equal((await readFile(file, 'utf8')).trim(), first.adminToken);
    t.match(first.output(), /created the first admin user/);
    t.notMatch(first.output(), first.adminToken, 'a token given by the operator is not echoed');

    t.equal(await first.stop('SIGTERM'), 0, 'SIGTERM exits 0');
    t.match(first.output(), /"msg":"stopped"/);

    const again = await startControlPlane(t, { dataDir: first.dataDir });
    t.equal((await me(again.url, first.adminToken)).status, 200, 'the same admin after restart');
    t.equal((await me(again.url, again.adminToken)).status, 401, 'no second admin is created');
    t.notMatch(again.output(), /created the first admin user|shown once/);
    t.equal((await readFile(file, 'utf8')).trim(), first.adminToken, 'the token file is kept');
    t.equal(await again.stop('SIGINT'), 0, 'SIGINT exits 0');
  },
);

void t.test('without a given token it generates one, prints it once and writes it', async (t) => {
  const cp = await startControlPlane(t, { env: { REXEC_BOOTSTRAP_ADMIN_TOKEN: '' } });
  const printed = /Admin API token \(shown once\): (rexec_[0-9a-f]{64})/.exec(cp.output())?.[1];
  t.ok(printed, 'the banner shows the token');
  const stored = (await readFile(join(cp.dataDir, 'admin-token'), 'utf8')).trim();
  t.equal(stored, printed);
  t.equal((await me(cp.url, stored)).status, 200);
});

void t.test(
  'shutting down with a delay: not ready at once, still serving, then exits 0',
  async (t) => {
    const cp = await startControlPlane(t, { env: { REXEC_SHUTDOWN_DELAY_SECONDS: '3' } });
    t.equal((await fetch(`${cp.url}/readyz`)).status, 200, 'ready while running');
    const exited = new Promise<number | null>((resolve) => cp.process.once('exit', resolve));
    cp.process.kill('SIGTERM');
    // The signal is handled between requests; a moment is enough for it to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ready = await fetch(`${cp.url}/readyz`);
    t.equal(ready.status, 503, 'a balancer sees it is not ready');
    t.match(await ready.json(), { code: 'unavailable', error: /shutting down/ });
    t.equal((await me(cp.url, cp.adminToken)).status, 200, 'while requests are still served');
    t.equal(await exited, 0, 'then it stops and exits 0');
  },
);

void t.test('a bad REXEC_PORT exits non-zero naming the variable', async (t) => {
  for (const port of ['70000', 'eighty', '-1']) {
    const run = await runToExit({ REXEC_PORT: port, REXEC_DATA_DIR: t.testdirName });
    t.not(run.code, 0, port);
    t.match(run.stderr, /REXEC_PORT/, port);
    t.notMatch(run.stdout, /"msg":"listening"/);
  }
  const other = await runToExit({ REXEC_SCHEDULER_STRATEGY: 'random' });
  t.not(other.code, 0);
  t.match(other.stderr, /REXEC_SCHEDULER_STRATEGY/);
  const flag = await runToExit({}, ['--port', 'x']);
  t.not(flag.code, 0);
  t.match(flag.stderr, /REXEC_PORT/, 'a flag is checked like its variable');
  const unknown = await runToExit({}, ['--colour', 'red']);
  t.not(unknown.code, 0);
  t.match(unknown.stderr, /usage: rexec-control-plane/);
});

void t.test('a migration that fails stops the process before it listens', async (t) => {
  const target = await freshDatabase(t, 'pg');
  if (target.driver !== 'pg') throw new Error('expected pg');
  // A table the first migration creates already exists, so the migration fails part-way.
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  await client.query('CREATE TABLE tiers (name text primary key)');
  await client.end();
  const run = await runToExit({
    REXEC_DATABASE_URL: target.url,
    REXEC_PORT: '0',
    REXEC_DATA_DIR: t.testdirName,
    REXEC_BOOTSTRAP_ADMIN_TOKEN: generateToken(),
  });
  t.equal(run.code, 1);
  t.match(run.stdout, /"msg":"start-up failed"/);
  t.match(run.stdout, /migration failed/);
  t.notMatch(run.stdout, /"msg":"listening"/);
});
