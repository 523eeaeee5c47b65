// Two replicas on one Postgres, the agent's socket on replica B only, and a user who talks to
// replica A: create, stop, start and delete all reach the agent through B (the engine agrees each
// time), and the relayed command rows are gone once A recorded their results. Before the command
// relay, A answered start and stop with 503 and left a create unsent until its timeout. How long
// each took through A is printed, not asserted.
import pg from 'pg';
import t, { type Test } from 'tap';
import { Container } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startControlPlane } from '../helpers/processes.js';
import { callApi } from '../helpers/rest.js';
import { startFleet } from './fleet.js';

/** A fleet whose replica A users talk to, a replica B on its database, an agent on B only. */
async function agentOnSecond(t: Test, hostName: string) {
  const fleet = await startFleet(t);
  const second = await startControlPlane(t, {
    env: {
      REXEC_DATABASE_URL: fleet.databaseUrl,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
    },
  });
  const { agent } = await fleet.joinAgent(hostName, { REXEC_URL: second.url });
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  return { fleet, second, agent, db };
}

void t.test('a replica without the agent socket acts through the one that has it', async (t) => {
  const { fleet, second, db } = await agentOnSecond(t, 'e2e-relay');
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

void t.test(
  'the holder killed while a relayed stop waits: 503 at once, never sent again',
  async (t) => {
    const { fleet, second, agent, db } = await agentOnSecond(t, 'e2e-relay-holder-killed');
    const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
    await fleet.containerStatus(box.id, 'running', 60_000);
    const agentPid = agent.process.pid;
    if (agentPid === undefined) throw new Error('the agent has no pid');
    // A frozen agent never answers, so the stop waits on B until B dies.
    process.kill(agentPid, 'SIGSTOP');
    t.teardown(() => {
      process.kill(agentPid, 'SIGCONT');
    });
    const started = Date.now();
    const stopping = fleet.api('POST', `/containers/${box.id}/stop`);
    const claimed = await fleet.waitFor('the stop claimed by B', async () => {
      const { rows } = await db.query<{ id: string; claimed_by: string | null }>(
        `select id, claimed_by from relayed_commands
        where container_id = $1 and command->>'action' = 'stop'`,
        [box.id],
      );
      return rows[0]?.claimed_by ? rows[0] : undefined;
    });
    await second.stop('SIGKILL');
    const answer = await stopping;
    t.comment(`A answered ${answer.status} ${Date.now() - started} ms after the stop was asked`);
    t.equal(answer.status, 503, 'host_unavailable');
    t.match(answer.body, { code: 'host_unavailable' });
    const { rows } = await db.query<{ claimed_by: string; result: unknown }>(
      `select claimed_by, result from relayed_commands where id = $1`,
      [claimed.id],
    );
    t.equal(
      rows[0]?.claimed_by,
      claimed.claimed_by,
      'still claimed by the dead B: nobody sends it',
    );
    t.equal(rows[0]?.result, null);
  },
);
