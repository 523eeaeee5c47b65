// Reconciliation on HELLO and the session reaper, driven over the real hub: desired state in
// Postgres against a scripted agent's inventory (../hub/agent-peer.ts; the real agent is written
// concurrently). Rows are nudged with SQL to stand for what happened while the host was away.
import { randomBytes } from 'node:crypto';
import { Container, type ControlCommand } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { call, newUser } from '../http/server.js';
import { insertContainer, insertHost } from '../http/rows.js';
import { AgentPeer, observed } from '../hub/agent-peer.js';
import {
  eventually,
  hostRow,
  onlinePeer,
  startHubServer,
  type HubServer,
} from '../hub/hub-server.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };

async function runningContainer(
  server: HubServer,
  peer: AgentPeer,
  token: string,
): Promise<string> {
  const created = await call(server, 'POST', '/api/v1/containers', { token, json: body });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => (await show(server, token, id)).status === 'running');
  return id;
}

async function show(server: HubServer, token: string, id: string) {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

void t.test('HELLO brings the host back in line with the database', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'returning');
  const user = await newUser(server, 'eve');
  const missing = await runningContainer(server, peer, user.token);
  const shouldStop = await runningContainer(server, peer, user.token);
  const lostCreate = await runningContainer(server, peer, user.token);
  peer.ws.terminate();
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
  );
  const { db } = server.database;
  await db.execute(sql`update containers set desired_status = 'stopped' where id = ${shouldStop}`);
  await db.execute(sql`update containers set status = 'creating' where id = ${lostCreate}`);
  const orphan = `ctr_${randomBytes(16).toString('hex')}`;

  const back = await AgentPeer.connect(server.url, enrollment.credential);
  t.teardown(() => back.ws.terminate());
  await back.hello({
    hostName: 'returning',
    inventory: [observed(shouldStop, 'running'), observed(orphan, 'running')],
  });
  back.keepAlive();

  const byContainer = async (id: string): Promise<ControlCommand> =>
    back.command((c) => c.container_id === id);
  const stop = await byContainer(shouldStop);
  t.equal(stop.command.action, 'stop');
  back.succeed(stop, 'exited');
  const create = await byContainer(lostCreate);
  t.equal(create.command.action, 'create', 'a lost create is sent again');
  back.succeed(create, 'running');
  const quarantine = await byContainer(orphan);
  t.equal(quarantine.command.action, 'stop', 'an unknown container is stopped, never removed');
  back.succeed(quarantine, 'exited');

  await eventually(async () => (await show(server, user.token, shouldStop)).status === 'stopped');
  await eventually(async () => (await show(server, user.token, lostCreate)).status === 'running');
  t.match(await show(server, user.token, missing), {
    status: 'error',
    status_reason: 'container_missing',
  });
  t.equal((await show(server, user.token, shouldStop)).status_reason, 'user');
  const quarantined = await eventually(async () => {
    const host = await call(server, 'GET', `/api/v1/hosts/${enrollment.hostId}`, {
      token: server.adminToken,
    });
    const list = (host.body as { quarantined?: { container_id: string; state: string }[] })
      .quarantined;
    return list?.[0]?.state === 'exited' ? list : undefined;
  });
  t.match(quarantined, [{ container_id: orphan, state: 'exited', found_at: String }]);
  const quarantineEvents = await selectRows(
    db,
    sql`select reason from events where container_id = ${orphan} and type = 'container.quarantined'`,
  );
  t.same(quarantineEvents, [{ reason: 'unknown_to_database' }], 'one event, for an admin');
  const events = await selectRows<{ reason: string }>(
    db,
    sql`select reason from events where container_id = ${missing} and type = 'container.error'`,
  );
  t.same(events, [{ reason: 'container_missing' }], 'every change has an events row');
});

void t.test('the reaper leaves a host another replica holds to that replica', async (t) => {
  const server = await startHubServer(t, 'pg');
  const user = await newUser(server, 'gus');
  const elsewhere = await insertHost(server.database, {
    name: 'held-elsewhere',
    connectedReplica: 'rep_another_live_replica',
  });
  const row = await insertContainer(server.database, user.id, {
    name: 'expired-elsewhere',
    hostId: elsewhere.id,
    status: 'running',
    desiredStatus: 'running',
    sessionExpiresAt: new Date(Date.now() - 60_000),
  });
  const desired = async () =>
    (
      await selectRows<{ desired_status: string }>(
        server.database.db,
        sql`select desired_status from containers where id = ${row.id}`,
      )
    )[0]?.desired_status;
  t.equal(await server.reaper.reapOnce(), 0, 'not claimed: the replica holding the host stops it');
  t.equal(await desired(), 'running');
  // The host's replica went away: connected nowhere, the wish is recorded for its HELLO.
  await server.database.db.execute(
    sql`update hosts set status = 'unreachable', connected_replica = null where id = ${elsewhere.id}`,
  );
  t.equal(await server.reaper.reapOnce(), 1);
  t.equal(await desired(), 'stopped');
});

void t.test('the reaper stops containers past their session with session_expired', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'reaped');
  const user = await newUser(server, 'fay');
  const expired = await runningContainer(server, peer, user.token);
  const fresh = await runningContainer(server, peer, user.token);
  await server.database.db.execute(
    sql`update containers set session_expires_at = now() - interval '1 minute' where id = ${expired}`,
  );
  const pass = server.reaper.reapOnce();
  const stop = await peer.command();
  t.equal(stop.container_id, expired, 'only the expired container is stopped');
  t.equal(stop.command.action, 'stop');
  peer.succeed(stop, 'exited');
  t.equal(await pass, 1);
  t.match(await show(server, user.token, expired), {
    status: 'stopped',
    status_reason: 'session_expired',
  });
  t.equal((await show(server, user.token, fresh)).status, 'running');
});
