// Reconciliation between HELLOs (REXEC_RECONCILE_SECONDS): the connected host is asked for its
// inventory and the one table settles what drifted since (a container stopped or removed from
// outside, a start whose answer was lost in a control plane restart), leaving alone what a command
// in flight will settle. Real Postgres and hub; a scripted agent (../hub/agent-peer.ts) answers.
import { Container, type ObservedContainer } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { createPeriodicReconcile } from '../../../packages/control-plane/src/lifecycle/index.js';
import { call, newUser } from '../http/server.js';
import { observed, type AgentPeer } from '../hub/agent-peer.js';
import { eventually, onlinePeer, startHubServer, type HubServer } from '../hub/hub-server.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };

async function runningContainer(server: HubServer, peer: AgentPeer, token: string) {
  const created = await call(server, 'POST', '/api/v1/containers', { token, json: body });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => (await show(server, token, id)).status === 'running');
  return id;
}

async function show(server: HubServer, token: string, id: string) {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

/** Answers the next inventory query with `inventory`. */
async function answerQuery(peer: AgentPeer, inventory: ObservedContainer[]): Promise<void> {
  const query = await peer.next('CONTROL_INVENTORY_QUERY');
  peer.send({ type: 'AGENT_INVENTORY', query_id: query.query_id, inventory });
}

void t.test('drift from outside the control plane converges without a HELLO', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'drifting', {
    hello: { capabilities: ['inventory'] },
  });
  const reconciler = createPeriodicReconcile({ ...server.lifecycle, hub: server.hub }, 60_000);
  const user = await newUser(server, 'jon');
  const stoppedOutside = await runningContainer(server, peer, user.token);
  const removedOutside = await runningContainer(server, peer, user.token);
  const untouched = await runningContainer(server, peer, user.token);
  const lostStart = await runningContainer(server, peer, user.token);
  // A control plane that died during a start: desired running, the row still says stopped.
  await server.database.db.execute(
    sql`update containers set status = 'stopped', desired_status = 'running' where id = ${lostStart}`,
  );

  const pass = reconciler.reconcileOnce();
  await answerQuery(peer, [
    observed(stoppedOutside, 'exited'),
    observed(untouched, 'running'),
    observed(lostStart, 'running'),
  ]);
  await pass;

  t.match(await show(server, user.token, stoppedOutside), {
    status: 'stopped',
    status_reason: 'exited',
  });
  t.match(await show(server, user.token, removedOutside), {
    status: 'error',
    status_reason: 'container_missing',
  });
  t.equal((await show(server, user.token, untouched)).status, 'running');
  t.equal((await show(server, user.token, lostStart)).status, 'running', 'the lost start counts');
  t.notOk(
    peer.received.some((m) => m.type === 'CONTROL_COMMAND'),
    'nothing was sent to the host',
  );
});

void t.test('a container with a command since the query is left to that command', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'busy', { hello: { capabilities: ['inventory'] } });
  const reconciler = createPeriodicReconcile({ ...server.lifecycle, hub: server.hub }, 60_000);
  const user = await newUser(server, 'kim');
  const id = await runningContainer(server, peer, user.token);

  const pass = reconciler.reconcileOnce();
  const query = await peer.next('CONTROL_INVENTORY_QUERY');
  // The inventory is taken now, while the container runs; the user's stop lands after it.
  const inventory = [observed(id, 'running')];
  const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
  peer.succeed(await peer.command((c) => c.container_id === id), 'exited');
  t.equal((await stopping).status, 200);
  peer.send({ type: 'AGENT_INVENTORY', query_id: query.query_id, inventory });
  await pass;

  t.match(await show(server, user.token, id), { status: 'stopped', status_reason: 'user' });
  t.notOk(
    peer.received.some((m) => m.type === 'CONTROL_COMMAND'),
    'the out-of-date inventory did not make reconciliation stop it again',
  );
});

void t.test('an agent that did not announce `inventory` is not asked', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'older');
  const reconciler = createPeriodicReconcile({ ...server.lifecycle, hub: server.hub }, 60_000);
  await reconciler.reconcileOnce();
  t.notOk(peer.received.some((m) => m.type === 'CONTROL_INVENTORY_QUERY'));
});

void t.test('the timer reconciles every interval until stopped', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'timed', { hello: { capabilities: ['inventory'] } });
  const reconciler = createPeriodicReconcile({ ...server.lifecycle, hub: server.hub }, 200);
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await answerQuery(peer, []);
  await answerQuery(peer, []);
  await reconciler.stop();
  t.pass('asked again on the next tick');
});
