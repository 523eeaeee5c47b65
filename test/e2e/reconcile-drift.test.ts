// Rows that drifted from what the host runs converge at the agent's next HELLO, as
// lifecycle/reconcile-table.ts decides, with a real agent, engine and Postgres. The drift is made
// the way a crash leaves it (the database row written, the engine not, or the other way round)
// rather than by racing a kill against a command.
import pg from 'pg';
import t from 'tap';
import { Container } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startAgent } from '../helpers/processes.js';
import { startFleet, type Fleet } from './fleet.js';
import type { Agent } from '../helpers/processes.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

async function engineRunning(fleet: Fleet, id: string): Promise<boolean> {
  const inspected = await engine(fleet.kind, [
    'inspect',
    '--format',
    '{{.State.Running}}',
    `rexec-${id}`,
  ]);
  return inspected.stdout.trim() === 'true';
}

void t.test(
  'a start or stop the database and the engine disagree on converges at HELLO',
  async (t) => {
    const fleet = await startFleet(t);
    let { agent } = await fleet.joinAgent('e2e-drift');
    const db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    t.teardown(() => db.end());
    // Read from Postgres, not the API: polling the API would spend the user's rate limit.
    const row = async (id: string) =>
      (
        await db.query<{ status: string; desired: string }>(
          'select status, desired_status desired from containers where id = $1',
          [id],
        )
      ).rows[0];
    const rehello = async (): Promise<Agent> => {
      await agent.stop();
      agent = await startAgent(t, {
        url: fleet.controlPlane.url,
        hostName: 'e2e-drift',
        stateDir: agent.stateDir,
        env: { REXEC_RUNTIME: fleet.kind },
      });
      return agent;
    };

    const box = await fleet.createBox(BOX);
    await fleet.containerStatus(box.id, 'running');
    t.equal((await fleet.api('POST', `/containers/${box.id}/stop`)).status, 200);

    // A control plane that died during a start: desired running, the engine started it, the row
    // still says stopped (and a stop on it did nothing before).
    await db.query(`update containers set desired_status = 'running' where id = $1`, [box.id]);
    await engine(fleet.kind, ['start', `rexec-${box.id}`]);
    await rehello();
    await fleet.waitFor('the row to say running', async () =>
      (await row(box.id))?.status === 'running' ? true : undefined,
    );
    t.pass('the row says running, as the host runs it');
    const stopped = await fleet.apiAs(Container, 'POST', `/containers/${box.id}/stop`);
    t.equal(stopped.status, 'stopped');
    t.notOk(await engineRunning(fleet, box.id), 'and a stop then really stops it');

    // A start that died before it reached the engine: desired running, nothing running.
    await db.query(`update containers set desired_status = 'running' where id = $1`, [box.id]);
    await rehello();
    await fleet.waitFor('the lost start to be forgotten', async () =>
      (await row(box.id))?.desired === 'stopped' ? true : undefined,
    );
    t.equal((await fleet.apiAs(Container, 'GET', `/containers/${box.id}`)).status, 'stopped');
    t.notOk(await engineRunning(fleet, box.id), 'nothing was started behind the user');

    // Someone ran `podman start` on the host: the row says stopped, so the host must not run it.
    await engine(fleet.kind, ['start', `rexec-${box.id}`]);
    await rehello();
    await fleet.waitFor('the container to be stopped on the host', async () =>
      (await engineRunning(fleet, box.id)) ? undefined : true,
    );
    t.equal((await fleet.apiAs(Container, 'GET', `/containers/${box.id}`)).status, 'stopped');
  },
);
