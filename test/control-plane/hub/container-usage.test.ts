// What a host says about enforcement and usage, as the API shows it: the enforcement in HELLO on
// GET /hosts, the disk each container uses from heartbeats on the container object and in /me.
// Heartbeats come from a scripted peer over a real WebSocket (agent-peer.ts); containers are rows
// placed on a chosen host directly, since which host the scheduler picks is not what is tested.
import { CloseCode, Container, Host, HostList, Me } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { newId } from '../../../packages/control-plane/src/ids.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertContainer } from '../http/rows.js';
import { call, newUser } from '../http/server.js';
import { AgentPeer } from './agent-peer.js';
import { enroll, eventually, onlinePeer, startHubServer, type HubServer } from './hub-server.js';

const monitor = {
  kind: 'podman',
  version: '4.3.1',
  storage_driver: 'overlay',
  disk_enforcement: 'monitor',
  disk_check_seconds: 10,
  network_shaping: true,
  network_isolation: true,
} as const;

async function host(server: HubServer, id: string): Promise<Host> {
  const answer = await call(server, 'GET', `/api/v1/hosts/${id}`, { token: server.adminToken });
  return Host.parse(answer.body);
}

async function shown(server: HubServer, token: string, id: string): Promise<Container> {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

async function me(server: HubServer, token: string): Promise<Me> {
  return Me.parse((await call(server, 'GET', '/api/v1/me', { token })).body);
}

async function diskUsed(server: HubServer, id: string): Promise<number | null | undefined> {
  const rows = await selectRows<{ disk_used_mb: number | null }>(
    server.database.db,
    sql`select disk_used_mb from containers where id = ${id}`,
  );
  return rows[0]?.disk_used_mb;
}

for (const driver of DB_DRIVERS) {
  void t.test(`enforcement and usage on ${driver}`, async (t) => {
    const server = await startHubServer(t, driver);
    const user = await newUser(server, 'ida');

    void t.test('a host shows the enforcement its agent reported, until then none', async (t) => {
      const quiet = await enroll(server, 'never-said');
      t.equal((await host(server, quiet.hostId)).enforcement, undefined, 'absent before HELLO');

      const { enrollment } = await onlinePeer(t, server, 'measured', {
        hello: { runtime: monitor },
      });
      t.same((await host(server, enrollment.hostId)).enforcement, {
        disk: 'monitor',
        disk_check_seconds: 10,
        network_shaping: true,
        network_isolation: true,
        user_namespaces: false,
      });
      const listed = HostList.parse(
        (await call(server, 'GET', '/api/v1/hosts', { token: server.adminToken })).body,
      );
      t.equal(
        listed.hosts.find((h) => h.id === enrollment.hostId)?.enforcement?.disk,
        'monitor',
        'the list shows it too',
      );
    });

    void t.test(
      'a reconnect replaces the enforcement; unsaid isolation shows as off',
      async (t) => {
        const { enrollment, peer } = await onlinePeer(t, server, 'changing', {
          hello: { runtime: monitor },
        });
        await peer.close();
        const second = await AgentPeer.connect(server.url, enrollment.credential);
        t.teardown(() => second.ws.terminate());
        await second.hello({
          hostName: 'changing',
          runtime: {
            kind: 'podman',
            version: '4.3.1',
            disk_enforcement: 'storage_opt',
            network_shaping: false,
            enforcement_detail: 'tc not found on PATH',
          },
        });
        t.same((await host(server, enrollment.hostId)).enforcement, {
          disk: 'storage_opt',
          network_shaping: false,
          network_isolation: false,
          user_namespaces: false,
          detail: 'tc not found on PATH',
        });
      },
    );

    void t.test('heartbeat usage lands on that host’s containers only', async (t) => {
      const a = await onlinePeer(t, server, 'host-a');
      const b = await onlinePeer(t, server, 'host-b');
      const other = await newUser(server, 'olaf');
      const onA = await insertContainer(server.database, user.id, {
        name: 'on-a',
        hostId: a.enrollment.hostId,
        status: 'running',
        desiredStatus: 'running',
        statusReason: null,
      });
      const alsoOnA = await insertContainer(server.database, user.id, {
        name: 'also-on-a',
        hostId: a.enrollment.hostId,
      });
      const onB = await insertContainer(server.database, other.id, {
        name: 'on-b',
        hostId: b.enrollment.hostId,
      });
      t.equal((await shown(server, user.token, onA.id)).usage, undefined, 'absent until measured');
      t.equal((await me(server, user.token)).usage.disk_used_mb, undefined, 'nothing measured');

      const before = Date.now();
      a.peer.heartbeat(1_000, [
        { container_id: onA.id, disk_mb: 300, cpu_millicores: 50 },
        { container_id: onB.id, disk_mb: 999 },
        { container_id: newId('ctr'), disk_mb: 5 },
        // Only cpu measured: the disk figure already stored stays.
        { container_id: alsoOnA.id, cpu_millicores: 10 },
      ]);
      const usage = await eventually(async () => (await shown(server, user.token, onA.id)).usage);
      t.equal(usage.disk_mb, 300);
      t.ok(Date.parse(usage.measured_at) >= before - 1_000, 'measured now');
      t.equal(await diskUsed(server, onB.id), null, 'another host’s container is not written');
      t.equal(await diskUsed(server, alsoOnA.id), null, 'no disk figure, no write');
      t.equal((await me(server, user.token)).usage.disk_used_mb, 300);

      a.peer.heartbeat(1_001, [
        { container_id: alsoOnA.id, disk_mb: 20 },
        { container_id: alsoOnA.id, disk_mb: 25 },
      ]);
      await eventually(async () => (await diskUsed(server, alsoOnA.id)) === 25, 5_000, 'last wins');
      const mine = await me(server, user.token);
      t.equal(mine.usage.disk_used_mb, 325, 'the sum over measured containers');
      t.equal(mine.usage.disk_mb, 2048, 'disk_mb stays the reserved total');

      b.peer.heartbeat(1_000, [{ container_id: onB.id, disk_mb: 2 ** 40 }]);
      await eventually(
        async () => (await diskUsed(server, onB.id)) === 2_147_483_647,
        5_000,
        'an enormous figure is clamped',
      );
      t.equal((await me(server, user.token)).usage.disk_used_mb, 325, 'others’ use is not mine');
    });

    void t.test('a negative usage figure is refused and writes nothing', async (t) => {
      const { peer, enrollment } = await onlinePeer(t, server, 'liar');
      const row = await insertContainer(server.database, user.id, {
        name: 'lied-about',
        hostId: enrollment.hostId,
      });
      peer.sendRaw(
        JSON.stringify({
          type: 'AGENT_HEARTBEAT',
          seq: 7,
          usage: { cpu_millicores: 1, memory_mb: 1, disk_mb: 1 },
          containers: [{ container_id: row.id, disk_mb: -5 }],
        }),
      );
      t.equal((await peer.next('CONTROL_REFUSE')).code, 'protocol_violation');
      t.equal((await peer.closed).code, CloseCode.PROTOCOL_VIOLATION);
      t.equal(await diskUsed(server, row.id), null);
    });

    void t.test('a deleted container keeps its last figure out of /me', async (t) => {
      const owner = await newUser(server, 'dora');
      const { peer, enrollment } = await onlinePeer(t, server, 'deleter');
      const gone = await insertContainer(server.database, owner.id, {
        name: 'gone',
        hostId: enrollment.hostId,
        deletedAt: new Date(),
      });
      const kept = await insertContainer(server.database, owner.id, {
        name: 'kept',
        hostId: enrollment.hostId,
      });
      peer.heartbeat(1_000, [
        { container_id: gone.id, disk_mb: 700 },
        { container_id: kept.id, disk_mb: 7 },
      ]);
      await eventually(async () => (await diskUsed(server, kept.id)) === 7);
      t.equal(await diskUsed(server, gone.id), null, 'a deleted row is not written');
      t.equal((await me(server, owner.token)).usage.disk_used_mb, 7);
    });
  });
}
