// Quarantine on HELLO with the real agent and engine (issue 24: what the scripted agent peer shows
// is covered once end to end): a running container whose row the database lost (restored from a
// backup older than it) is reported in the returning agent's inventory, stopped, never removed,
// and listed on its host for an admin. Periodic reconciliation is pushed out of the way so the
// HELLO is what acts.
import pg from 'pg';
import t from 'tap';
import { Host } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startAgent } from '../helpers/processes.js';
import { startFleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

void t.test('a container the database does not know is stopped and kept at HELLO', async (t) => {
  const fleet = await startFleet(t, { env: { REXEC_RECONCILE_SECONDS: '3600' } });
  const { agent, hostId } = await fleet.joinAgent('e2e-quarantine');
  const { id } = await fleet.createBox(BOX);
  await fleet.containerStatus(id, 'running');

  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const deleted = await db.query('delete from containers where id = $1', [id]);
  t.equal(deleted.rowCount, 1, 'the row is gone, as after restoring an older backup');

  // The agent leaves its containers running when it stops; the new one says HELLO with them.
  await agent.stop();
  await startAgent(t, {
    url: fleet.controlPlane.url,
    hostName: 'e2e-quarantine',
    stateDir: agent.stateDir,
    env: { REXEC_RUNTIME: fleet.kind },
  });

  const listed = await fleet.waitFor(
    'the container quarantined and stopped',
    async () => {
      const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
      const entry = host.quarantined?.find((q) => q.container_id === id);
      return entry?.state === 'exited' ? entry : undefined;
    },
    60_000,
  );
  t.equal(listed.container_id, id, 'listed on its host for an admin');
  const state = await engine(fleet.kind, ['inspect', '-f', '{{.State.Running}}', `rexec-${id}`]);
  t.equal(state.stdout.trim(), 'false', 'the engine has it, stopped, not removed');
  const events = await db.query<{ reason: string }>(
    `select reason from events where container_id = $1 and type = 'container.quarantined'`,
    [id],
  );
  t.same(events.rows, [{ reason: 'unknown_to_database' }], 'one event says why');
});
