// Two replicas on one Postgres, the agent's socket on replica B only, and a user who talks to
// replica A: create, stop, start and delete all reach the agent through B (the engine agrees each
// time), and the relayed command rows are gone once A recorded their results. Before the command
// relay, A answered start and stop with 503 and left a create unsent until its timeout. How long
// each took through A is printed, not asserted.
import pg from 'pg';
import t from 'tap';
import { Container } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startControlPlane } from '../helpers/processes.js';
import { callApi } from '../helpers/rest.js';
import { startFleet } from './fleet.js';

void t.test('a replica without the agent socket acts through the one that has it', async (t) => {
  const fleet = await startFleet(t);
  const second = await startControlPlane(t, {
    env: {
      REXEC_DATABASE_URL: fleet.databaseUrl,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
    },
  });
  await fleet.joinAgent('e2e-relay', { REXEC_URL: second.url });
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const holder = await db.query<{ connected_replica: string }>(
    `select connected_replica from hosts where name = 'e2e-relay'`,
  );
  t.ok(holder.rows[0]?.connected_replica, 'the host is held by a replica');

  const running = async (id: string) =>
    (
      await engine(fleet.kind, ['inspect', '-f', '{{.State.Running}}', `rexec-${id}`])
    ).stdout.trim();
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    t.comment(`${what} through replica A: ${Date.now() - started} ms`);
    return result;
  };

  const box = await timed('create to running', async () => {
    const created = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
    await fleet.containerStatus(created.id, 'running', 60_000);
    return created;
  });
  t.equal(await running(box.id), 'true', 'the engine runs it');

  const stop = await timed('stop', () => fleet.api('POST', `/containers/${box.id}/stop`));
  t.equal(stop.status, 200, 'stop is answered by A, not refused with 503');
  t.equal(Container.parse(stop.body).status, 'stopped');
  t.equal(await running(box.id), 'false', 'and the engine agrees');

  const start = await timed('start', () => fleet.api('POST', `/containers/${box.id}/start`));
  t.equal(start.status, 200);
  t.equal(Container.parse(start.body).status, 'running');
  t.equal(await running(box.id), 'true', 'and the engine agrees');

  await timed('delete to gone', async () => {
    const removed = await fleet.api('DELETE', `/containers/${box.id}`);
    t.ok(removed.status === 202 || removed.status === 204, `delete answered ${removed.status}`);
    await fleet.waitFor('the container gone', async () =>
      (await fleet.api('GET', `/containers/${box.id}`)).status === 404 ? true : undefined,
    );
  });
  const names = await engine(fleet.kind, ['ps', '-a', '--format', '{{.Names}}']);
  t.notOk(names.stdout.includes(`rexec-${box.id}`), 'the engine has no such container');

  // B read every result, A recorded each and acknowledged it, and B deleted the rows.
  const left = async () =>
    (
      await db.query<Record<string, unknown>>(
        `select id, claimed_by, acknowledged, failure, command->>'action' as action from relayed_commands`,
      )
    ).rows;
  const gone = await fleet
    .waitFor(
      'the relayed rows acknowledged and gone',
      async () => ((await left()).length === 0 ? true : undefined),
      20_000,
    )
    .catch(() => false);
  t.ok(gone, 'no relayed command is left', { left: gone ? [] : await left() });

  // And B itself still acts on its own host directly.
  const viaSecond = await callApi(second.url, second.adminToken, 'GET', '/hosts');
  t.equal(viaSecond.status, 200);
});
