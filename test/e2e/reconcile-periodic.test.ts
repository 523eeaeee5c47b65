// Reconciliation between HELLOs (REXEC_RECONCILE_SECONDS, here 1 s) with a real agent, engine and
// Postgres: containers stopped or removed on the host from outside Rexec converge, and so do rows
// that drifted from what the host runs while the agent stays connected (a lost exit report, a
// start whose result a control plane restart lost). The drift in the database is made with SQL,
// the way a crash leaves it; no HELLO happens in between (the agent is never restarted).
import pg from 'pg';
import t from 'tap';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';
import { engine } from '../helpers/engine.js';
import { startFleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

void t.test('drift on a connected host converges within a reconcile period', async (t) => {
  const fleet = await startFleet(t, { env: { REXEC_RECONCILE_SECONDS: '1' } });
  await fleet.joinAgent('e2e-periodic');
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  // Read from Postgres, not the API: polling the API would spend the user's rate limit.
  const row = async (id: string) =>
    (
      await db.query<{ status: string; reason: string | null; desired: string }>(
        'select status, status_reason reason, desired_status desired from containers where id = $1',
        [id],
      )
    ).rows[0];
  const rowBecomes = (id: string, status: string, reason?: string) =>
    fleet.waitFor(
      `${id} to be ${status}`,
      async () => {
        const current = await row(id);
        return current?.status === status && (reason === undefined || current.reason === reason)
          ? current
          : undefined;
      },
      30_000,
    );

  const stopped = await fleet.createBox(BOX);
  const restarted = await fleet.createBox(BOX);
  for (const box of [stopped, restarted]) await fleet.containerStatus(box.id, 'running');

  await engine(fleet.kind, ['stop', '-t', '0', `rexec-${stopped.id}`]);
  await rowBecomes(stopped.id, 'stopped', 'exited');
  t.pass('stopped from outside: the row says so');

  // The exit report was lost (Postgres failed it past every retry): the row still says running.
  await db.query(`update containers set status = 'running', status_reason = null where id = $1`, [
    stopped.id,
  ]);
  await rowBecomes(stopped.id, 'stopped', 'exited');
  t.pass('a row that missed an exit is stopped by the next pass');

  // A control plane that died during a start: desired running, the row still says stopped.
  await db.query(
    `update containers set status = 'stopped', status_reason = 'user', desired_status = 'running'
     where id = $1`,
    [restarted.id],
  );
  await rowBecomes(restarted.id, 'running');
  t.pass('a start whose result was lost is recorded');
  const stop = await fleet.api('POST', `/containers/${restarted.id}/stop`);
  t.equal(stop.status, 200, 'and a stop then really stops it');
  const inspected = await engine(fleet.kind, [
    'inspect',
    '--format',
    '{{.State.Running}}',
    `rexec-${restarted.id}`,
  ]);
  t.equal(inspected.stdout.trim(), 'false');

  // podman 4.3 may still be cleaning up after the stop (EBUSY on the shm mount): try again then.
  await retryWhileBusy(() => engine(fleet.kind, ['rm', '-f', `rexec-${restarted.id}`]));
  await rowBecomes(restarted.id, 'error', 'container_missing');
  t.pass('removed from outside: the row says so');
});
