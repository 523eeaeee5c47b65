// A container still on its host after its row was deleted (a create that crossed the delete, a
// lost host coming back) is removed with its volume by reconciliation, not quarantined: its owner
// asked for it to go. One the database never knew is still only quarantined. Over the real hub
// and Postgres with a scripted agent (../hub/agent-peer.ts); the row is nudged with SQL to stand
// for the race.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { AgentPeer, observed } from '../hub/agent-peer.js';
import { eventually, hostRow, onlinePeer, startHubServer } from '../hub/hub-server.js';
import { call, newUser } from '../http/server.js';
import { runningContainer } from './placed-containers.js';

void t.test('reconciliation removes a container whose row was deleted', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'crossed');
  const user = await newUser(server, 'ines');
  const gone = await runningContainer(server, peer, user.token);
  peer.ws.terminate();
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
  );
  await server.database.db.execute(
    sql`update containers set deleted_at = now(), desired_status = 'deleted' where id = ${gone}`,
  );
  const neverKnown = `ctr_${randomBytes(16).toString('hex')}`;

  const back = await AgentPeer.connect(server.url, enrollment.credential);
  t.teardown(() => back.ws.terminate());
  await back.hello({
    hostName: 'crossed',
    inventory: [observed(gone, 'running'), observed(neverKnown, 'running')],
  });
  back.keepAlive();

  const removal = await back.command((c) => c.container_id === gone);
  t.same(removal.command, { action: 'remove', remove_volume: true }, 'removed with its volume');
  back.succeed(removal, 'missing');
  const quarantine = await back.command((c) => c.container_id === neverKnown);
  t.equal(quarantine.command.action, 'stop', 'one never known is only stopped');
  back.succeed(quarantine, 'exited');

  const quarantined = await eventually(async () => {
    const host = await call(server, 'GET', `/api/v1/hosts/${enrollment.hostId}`, {
      token: server.adminToken,
    });
    const list = (host.body as { quarantined?: { container_id: string }[] }).quarantined;
    return list !== undefined && list.length > 0 ? list : undefined;
  });
  t.same(
    quarantined.map((q) => q.container_id),
    [neverKnown],
    'only the unknown one is set aside for an admin',
  );
});
