// Hosts lost and found, over the real hub and Postgres with a scripted agent: a host unreachable
// past the threshold has its containers marked error/host_lost with reservations and quota given
// back; when it says HELLO again they take the state its inventory reports.
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { createHostLossReaper } from '../../../packages/control-plane/src/lifecycle/host-loss.js';
import { call, newUser } from '../http/server.js';
import { AgentPeer, observed } from '../hub/agent-peer.js';
import { eventually, hostRow, onlinePeer, startHubServer } from '../hub/hub-server.js';
import { runningContainer, show, usedContainers } from './placed-containers.js';

const HOUR_MS = 3_600_000;

void t.test('a host gone too long loses its containers, which come back with it', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'wandering');
  const { peer: steady, enrollment: steadyHost } = await onlinePeer(t, server, 'steady');
  const user = await newUser(server, 'kai');
  await server.database.db.execute(
    sql`update hosts set scheduling = 'cordoned' where id = ${steadyHost.hostId}`,
  );
  const runs = await runningContainer(server, peer, user.token);
  const exits = await runningContainer(server, peer, user.token);
  const vanishes = await runningContainer(server, peer, user.token);
  await server.database.db.execute(
    sql`update hosts set scheduling = 'active' where id = ${steadyHost.hostId}`,
  );
  await server.database.db.execute(
    sql`update hosts set scheduling = 'cordoned' where id = ${enrollment.hostId}`,
  );
  const elsewhere = await runningContainer(server, steady, user.token);
  t.equal((await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores, 750);

  peer.ws.terminate();
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
  );
  const reaper = createHostLossReaper(server.lifecycle, { lostAfterMs: HOUR_MS });
  t.equal(await reaper.sweepOnce(), 0, 'a host away for less than the threshold keeps them');
  await server.database.db.execute(
    sql`update hosts set last_seen_at = now() - interval '2 hours' where id = ${enrollment.hostId}`,
  );
  t.equal(await reaper.sweepOnce(), 3);
  t.equal(await reaper.sweepOnce(), 0, 'a second sweep changes nothing');
  for (const id of [runs, exits, vanishes]) {
    t.match(await show(server, user.token, id), { status: 'error', status_reason: 'host_lost' });
  }
  t.equal((await show(server, user.token, elsewhere)).status, 'running', 'other hosts keep theirs');
  t.equal((await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores, 0);
  t.equal(await usedContainers(server, user.token), 1, 'the quota is given back');

  const back = await AgentPeer.connect(server.url, enrollment.credential);
  t.teardown(() => back.ws.terminate());
  await back.hello({
    hostName: 'wandering',
    inventory: [observed(runs, 'running'), observed(exits, 'exited')],
  });
  back.keepAlive();
  await eventually(async () => (await show(server, user.token, runs)).status === 'running');
  t.match(await show(server, user.token, exits), { status: 'stopped', status_reason: 'exited' });
  t.match(await show(server, user.token, vanishes), {
    status: 'error',
    status_reason: 'container_missing',
  });
  t.equal(
    (await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores,
    750,
    'the host holds their reservations again',
  );
  t.equal(await usedContainers(server, user.token), 4, 'they count again');
});

void t.test('deleting a lost container does not wait for its host', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'far');
  const user = await newUser(server, 'lia');
  const id = await runningContainer(server, peer, user.token);
  peer.ws.terminate();
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
  );
  await server.database.db.execute(
    sql`update hosts set last_seen_at = now() - interval '2 hours' where id = ${enrollment.hostId}`,
  );
  t.equal(await createHostLossReaper(server.lifecycle, { lostAfterMs: HOUR_MS }).sweepOnce(), 1);
  const deleted = await call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
  t.equal(deleted.status, 204);
  t.equal(await usedContainers(server, user.token), 0);
});
