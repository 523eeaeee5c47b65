// Stats samples from heartbeats as GET /containers/:id/stats shows them: written for the sending
// host's live containers only (last mention wins, one row replaced per container), answered to the
// owner and to an admin by id, 404 to anyone else; a stopped container, or one whose sample is
// older than its last start, answers null figures with `at: null`; limits come from the
// container's resources when the agent sent none. Heartbeats come from a scripted peer over a real
// WebSocket; containers are rows placed on a chosen host directly.
import { ContainerStats } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { newId } from '../../../packages/control-plane/src/ids.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertContainer } from '../http/rows.js';
import { call, newUser } from '../http/server.js';
import { eventually, onlinePeer, startHubServer, type HubServer } from './hub-server.js';

const MIB = 1024 * 1024;

async function stats(server: HubServer, token: string, ref: string) {
  return call(server, 'GET', `/api/v1/containers/${ref}/stats`, { token });
}

async function statsRows(server: HubServer, id: string): Promise<number> {
  const rows = await selectRows<{ n: number }>(
    server.database.db,
    sql`select count(*)::int as n from container_stats where container_id = ${id}`,
  );
  return rows[0]?.n ?? 0;
}

for (const driver of DB_DRIVERS) {
  void t.test(`container stats on ${driver}`, async (t) => {
    const server = await startHubServer(t, driver);
    const user = await newUser(server, 'stella');
    const other = await newUser(server, 'otto');
    const a = await onlinePeer(t, server, 'stats-a');
    const b = await onlinePeer(t, server, 'stats-b');
    const running = { status: 'running', desiredStatus: 'running', statusReason: null } as const;
    const box = await insertContainer(server.database, user.id, {
      name: 'box',
      hostId: a.enrollment.hostId,
      startedAt: new Date(Date.now() - 60_000),
      ...running,
    });
    const onB = await insertContainer(server.database, other.id, {
      name: 'on-b',
      hostId: b.enrollment.hostId,
      ...running,
    });

    const never = ContainerStats.parse((await stats(server, user.token, 'box')).body);
    t.same(never, {
      cpu_percent: null,
      memory_bytes: null,
      memory_limit_bytes: 512 * MIB,
      disk_used_mb: null,
      disk_limit_mb: 1024,
      net_rx_bytes: null,
      net_tx_bytes: null,
      pids: null,
      at: null,
    });

    const before = Date.now();
    a.peer.heartbeat(1_000, [
      { container_id: box.id, cpu_millicores: 1230, memory_bytes: 1, pids: 1 },
      {
        container_id: box.id,
        disk_mb: 40,
        cpu_millicores: 2500,
        memory_mb: 17,
        memory_bytes: 17 * MIB - 5,
        memory_limit_bytes: 256 * MIB,
        pids: 4,
        network_rx_bytes: 2 ** 40,
        network_tx_bytes: 7,
      },
      // Another host's container, and an unknown id: dropped by the join.
      { container_id: onB.id, cpu_millicores: 10, pids: 1 },
      { container_id: newId('ctr'), pids: 1 },
    ]);
    const sampled = await eventually(async () => {
      const answer = ContainerStats.parse((await stats(server, user.token, box.id)).body);
      return answer.at === null || answer.disk_used_mb === null ? undefined : answer;
    });
    t.same(
      { ...sampled, at: undefined },
      {
        cpu_percent: 250,
        memory_bytes: 17 * MIB - 5,
        memory_limit_bytes: 256 * MIB,
        disk_used_mb: 40,
        disk_limit_mb: 1024,
        net_rx_bytes: 2 ** 40,
        net_tx_bytes: 7,
        pids: 4,
        at: undefined,
      },
      'the last mention wins; bigint counters survive',
    );
    t.ok(Date.parse(sampled.at ?? '') >= before - 1_000, 'stamped when it arrived');
    t.equal(await statsRows(server, onB.id), 0, 'another host’s container is not written');

    // An agent that sends only the rounded memory figure; the row is replaced, not merged.
    a.peer.heartbeat(1_001, [{ container_id: box.id, memory_mb: 3 }]);
    const rounded = await eventually(async () => {
      const answer = ContainerStats.parse((await stats(server, user.token, 'box')).body);
      return answer.memory_bytes === 3 * MIB ? answer : undefined;
    });
    t.same(
      [rounded.cpu_percent, rounded.pids, rounded.memory_limit_bytes],
      [null, null, 512 * MIB],
    );
    t.equal(await statsRows(server, box.id), 1, 'one row per container');

    const stranger = await stats(server, other.token, box.id);
    t.equal(stranger.status, 404, "another user's container is not found");
    t.match(stranger.body, { code: 'not_found' });
    const byAdmin = await stats(server, server.adminToken, box.id);
    t.equal(byAdmin.status, 200, 'an admin reads any container by id');
    t.equal((await stats(server, server.adminToken, 'box')).status, 404, 'names are per user');

    await server.database.db.execute(
      sql`update containers set started_at = now() + interval '1 minute' where id = ${box.id}`,
    );
    const restarted = ContainerStats.parse((await stats(server, user.token, 'box')).body);
    t.same([restarted.at, restarted.memory_bytes], [null, null], 'a sample from before a start');
    await server.database.db.execute(
      sql`update containers set status = 'stopped', started_at = null where id = ${box.id}`,
    );
    const stopped = ContainerStats.parse((await stats(server, user.token, 'box')).body);
    t.same(
      [stopped.at, stopped.memory_bytes, stopped.disk_used_mb],
      [null, null, 40],
      'stopped: no current figures, disk as last measured',
    );
  });
}
