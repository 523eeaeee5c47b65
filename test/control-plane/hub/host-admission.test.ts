// What a joining or reconnecting host may do, over the real hub on Postgres with scripted agent
// peers: HELLOs throttled per host, an inventory far beyond what was placed refused, capacity
// claimed above the agent's own measurement capped, unknown labelled containers quarantined (kept,
// listed, cleared once gone), and manual approval keeping a new host `pending` until an admin says.
import { randomBytes } from 'node:crypto';
import { CloseCode, Container, ErrorBody, Host } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { call, newUser } from '../http/server.js';
import { AgentPeer, helloMessage, observed } from './agent-peer.js';
import { enroll, eventually, onlinePeer, startHubServer, type HubServer } from './hub-server.js';

const unknownId = () => `ctr_${randomBytes(16).toString('hex')}`;

async function host(server: HubServer, id: string): Promise<Host> {
  const answer = await call(server, 'GET', `/api/v1/hosts/${id}`, { token: server.adminToken });
  return Host.parse(answer.body);
}

async function eventsOf(server: HubServer, type: string, hostId: string) {
  return selectRows<{ container_id: string | null; detail: unknown }>(
    server.database.db,
    sql`select container_id, detail from events where type = ${type} and host_id = ${hostId}`,
  );
}

void t.test('HELLOs are throttled per host: past the burst the socket closes 4012', async (t) => {
  const server = await startHubServer(t, 'pg', { helloBurst: 2, helloRefillMs: 600_000 });
  const { hostId, credential } = await enroll(server, 'flappy');
  for (let i = 0; i < 2; i++) {
    const peer = await AgentPeer.connect(server.url, credential);
    await peer.hello({ hostName: 'flappy' });
    await peer.close();
  }
  const third = await AgentPeer.connect(server.url, credential);
  t.teardown(() => third.ws.terminate());
  third.send(helloMessage({ hostName: 'flappy' }));
  t.match(await third.next('CONTROL_REFUSE'), { code: 'hello_throttled', retry_after_ms: Number });
  t.equal((await third.closed).code, CloseCode.HELLO_THROTTLED);
  const other = await onlinePeer(t, server, 'steady');
  t.equal((await host(server, other.enrollment.hostId)).status, 'online', 'other hosts unaffected');
  t.equal(
    (await host(server, hostId)).status,
    'unreachable',
    'the throttled HELLO changed nothing',
  );
});

void t.test('an inventory far beyond what was placed on the host is refused 4013', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { hostId, credential } = await enroll(server, 'boastful');
  const tooMany = Array.from({ length: 65 }, () => observed(unknownId(), 'exited'));
  const refused = await AgentPeer.connect(server.url, credential);
  t.teardown(() => refused.ws.terminate());
  refused.send(helloMessage({ hostName: 'boastful', inventory: tooMany }));
  t.match(await refused.next('CONTROL_REFUSE'), { code: 'inventory_refused' });
  t.equal((await refused.closed).code, CloseCode.INVENTORY_REFUSED);
  t.equal((await host(server, hostId)).status, 'unreachable');

  const accepted = await AgentPeer.connect(server.url, credential);
  t.teardown(() => accepted.ws.terminate());
  await accepted.hello({ hostName: 'boastful', inventory: tooMany.slice(0, 64) });
  const shown = await eventually(async () => {
    const h = await host(server, hostId);
    return h.quarantined?.length === 64 ? h : undefined;
  });
  t.equal(shown.status, 'online', 'up to 64 unknown containers are taken (and quarantined)');
});

void t.test(
  'capacity claimed above the agent’s own measurement is capped and logged',
  async (t) => {
    const server = await startHubServer(t, 'pg');
    const measured = { cpu_millicores: 2_000, memory_mb: 4_096, disk_mb: 50_000 };
    const { enrollment } = await onlinePeer(t, server, 'inflated', {
      hello: {
        capacity: { cpu_millicores: 64_000, memory_mb: 2_048, disk_mb: 900_000 },
        measuredCapacity: measured,
      },
    });
    const shown = await host(server, enrollment.hostId);
    t.same(shown.capacity, { cpu_millicores: 2_000, memory_mb: 2_048, disk_mb: 50_000 });
    const events = await eventsOf(server, 'host.capacity_capped', enrollment.hostId);
    t.match(events, [{ detail: { resources: ['cpu_millicores', 'disk_mb'], measured } }]);
    t.ok(
      server.logs.some(
        (line) => line['level'] === 40 && /capped to the measurement/.test(String(line['msg'])),
      ),
      'a warning is logged',
    );
    const { enrollment: old } = await onlinePeer(t, server, 'older-agent', {
      hello: { capacity: { cpu_millicores: 8_000, memory_mb: 1_024, disk_mb: 10_000 } },
    });
    t.equal(
      (await host(server, old.hostId)).capacity.cpu_millicores,
      8_000,
      'an agent that sends no measurement keeps its claim',
    );
  },
);

void t.test('unknown labelled containers are quarantined until they are gone', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { hostId, credential } = await enroll(server, 'restored');
  const stray = unknownId();
  const first = await AgentPeer.connect(server.url, credential);
  t.teardown(() => first.ws.terminate());
  await first.hello({ hostName: 'restored', inventory: [observed(stray, 'exited')] });
  const listed = await eventually(async () => (await host(server, hostId)).quarantined);
  t.match(listed, [{ container_id: stray, state: 'exited' }]);
  t.notOk(
    first.received.some((m) => m.type === 'CONTROL_COMMAND'),
    'nothing removed or stopped',
  );

  const second = await AgentPeer.connect(server.url, credential);
  t.teardown(() => second.ws.terminate());
  await second.hello({ hostName: 'restored', inventory: [observed(stray, 'exited')] });
  await eventually(async () => (await eventsOf(server, 'host.online', hostId)).length >= 1);
  const again = await eventually(async () => (await host(server, hostId)).quarantined);
  t.equal(again[0]?.found_at, listed[0]?.found_at, 'found_at is kept across HELLOs');
  t.equal((await eventsOf(server, 'container.quarantined', hostId)).length, 1, 'one event');

  const third = await AgentPeer.connect(server.url, credential);
  t.teardown(() => third.ws.terminate());
  await third.hello({ hostName: 'restored', inventory: [] });
  await eventually(async () => (await host(server, hostId)).quarantined === undefined);
  t.pass('an admin removed it on the host: the list is empty again');
});

void t.test('manual approval: a new host is pending and gets no work until approved', async (t) => {
  const server = await startHubServer(t, 'pg', {}, {}, { hostApproval: 'manual' });
  const user = await newUser(server, 'pat');
  const { peer, enrollment } = await onlinePeer(t, server, 'newcomer');
  const admin = { token: server.adminToken };
  t.match(await host(server, enrollment.hostId), { status: 'online', scheduling: 'pending' });
  const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };
  const refused = await call(server, 'POST', '/api/v1/containers', {
    token: user.token,
    json: body,
  });
  t.equal(refused.status, 503);
  t.equal(ErrorBody.parse(refused.body).code, 'no_capacity');
  const uncordon = await call(server, 'POST', `/api/v1/hosts/${enrollment.hostId}/uncordon`, admin);
  t.equal(uncordon.status, 409, 'uncordon does not bypass approval');
  t.match(uncordon.body, { code: 'invalid_state', status: 'pending' });

  const approved = await call(server, 'POST', `/api/v1/hosts/${enrollment.hostId}/approve`, admin);
  t.equal(approved.status, 200);
  t.equal(Host.parse(approved.body).scheduling, 'active');
  const twice = await call(server, 'POST', `/api/v1/hosts/${enrollment.hostId}/approve`, admin);
  t.equal(Host.parse(twice.body).scheduling, 'active', 'approving again changes nothing');
  t.equal((await eventsOf(server, 'host.approved', enrollment.hostId)).length, 1);
  const byUser = await call(server, 'POST', `/api/v1/hosts/${enrollment.hostId}/approve`, {
    token: user.token,
  });
  t.equal(byUser.status, 403, 'only admins approve');

  const created = await call(server, 'POST', '/api/v1/containers', {
    token: user.token,
    json: body,
  });
  t.equal(created.status, 202);
  const id = Container.parse(created.body).id;
  t.equal((await peer.command((c) => c.container_id === id)).command.action, 'create');
});
