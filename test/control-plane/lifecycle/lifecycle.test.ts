// The container lifecycle through the REST API and the hub: create → CONTROL_COMMAND → running
// (or error with the engine's message), stop/start/delete round trips, a host that is away (503,
// 202 deleting finished on reconnect), and commands re-sent with their id after a reconnect. The
// agent side is a scripted peer (../hub/agent-peer.ts), to pin exact messages and their order.
import { randomBytes } from 'node:crypto';
import { CloseCode, Container, ErrorBody, type ControlCommand } from '@rexec/protocol';
import t, { type Test } from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { DB_DRIVERS, type DbDriver } from '../../helpers/postgres.js';
import { call, newUser } from '../http/server.js';
import { AgentPeer, observed, okResult } from '../hub/agent-peer.js';
import {
  eventually,
  hostRow,
  onlinePeer,
  startHubServer,
  type HubServer,
} from '../hub/hub-server.js';
import { parseAllowedRegistries } from '../../../packages/control-plane/src/services/image-policy.js';

const body = {
  image: 'custom',
  custom_image: 'localhost/rexec-test/busybox:latest',
  resources: { cpu_millicores: 500, memory_mb: 256, disk_mb: 1024 },
};

async function containerOf(server: HubServer, token: string, id: string) {
  return call(server, 'GET', `/api/v1/containers/${id}`, { token });
}

async function statusOf(server: HubServer, token: string, id: string): Promise<string> {
  return Container.parse((await containerOf(server, token, id)).body).status;
}

/** The hub server, letting users run the operator's local test image (REXEC_ALLOWED_REGISTRIES). */
function lifecycleServer(t: Test, driver: DbDriver): Promise<HubServer> {
  return startHubServer(
    t,
    driver,
    {},
    {},
    {
      allowedRegistries: parseAllowedRegistries('public,localhost'),
    },
  );
}

/** POSTs a create and returns its id with the create command the peer received. */
async function create(
  server: HubServer,
  peer: AgentPeer,
  token: string,
): Promise<{ id: string; command: ControlCommand }> {
  const created = await call(server, 'POST', '/api/v1/containers', { token, json: body });
  if (created.status !== 202) throw new Error(`create answered ${created.status}`);
  const id = Container.parse(created.body).id;
  const command = await peer.command((c) => c.container_id === id);
  return { id, command };
}

for (const driver of DB_DRIVERS) {
  void t.test(`lifecycle on ${driver}`, async (t) => {
    const server = await lifecycleServer(t, driver);
    const { peer, enrollment } = await onlinePeer(t, server, 'worker');
    const user = await newUser(server, 'ada');

    void t.test('create sends the spec and becomes running when the agent says so', async (t) => {
      const { id, command } = await create(server, peer, user.token);
      t.equal(await statusOf(server, user.token, id), 'creating');
      t.match(command.command, {
        action: 'create',
        spec: {
          container_id: id,
          image: body.custom_image,
          user_id: user.id,
          role: 'barebone',
          resources: { cpu_millicores: 500, memory_mb: 256, disk_mb: 1024, network_mbps: 10 },
        },
      });
      peer.succeed(command, 'running');
      const running = await eventually(async () => {
        const shown = Container.parse((await containerOf(server, user.token, id)).body);
        return shown.status === 'running' && shown;
      });
      t.type(running.started_at, 'string');
      const hours = (Date.parse(running.session_expires_at ?? '') - Date.now()) / 3_600_000;
      t.ok(hours > 49.9 && hours <= 50, 'session follows the community tier (50 h)');
      t.equal(running.host_id, enrollment.hostId);
    });

    void t.test(
      'image_missing becomes error image_pull_failed with the engine message',
      async (t) => {
        const { id, command } = await create(server, peer, user.token);
        peer.send({
          type: 'AGENT_COMMAND_RESULT',
          command_id: command.command_id,
          container_id: id,
          ok: false,
          error: {
            code: 'image_missing',
            message: 'image not found',
            detail: 'Error: no such image',
          },
        });
        await eventually(async () => (await statusOf(server, user.token, id)) === 'error');
        const shown = Container.parse((await containerOf(server, user.token, id)).body);
        t.equal(shown.status_reason, 'image_pull_failed');
        const [row] = await selectRows<{ status_detail: string }>(
          server.database.db,
          sql`select status_detail from containers where id = ${id}`,
        );
        t.match(row?.status_detail, /no such image/);
        const deleting = call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
        peer.succeed(await peer.command((c) => c.container_id === id), 'missing');
        t.equal((await deleting).status, 204, 'an error container is deleted like any other');
      },
    );

    void t.test('stop, start and delete go through the agent and wait for it', async (t) => {
      const { id, command } = await create(server, peer, user.token);
      peer.succeed(command, 'running');
      await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
      const reservedBefore =
        (await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores ?? 0;

      const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
      const stop = await peer.command((c) => c.container_id === id);
      t.match(stop.command, { action: 'stop', timeout_seconds: 10 });
      peer.succeed(stop, 'exited');
      const stopped = await stopping;
      t.equal(stopped.status, 200);
      t.match(Container.parse(stopped.body), { status: 'stopped', status_reason: 'user' });

      const starting = call(server, 'POST', `/api/v1/containers/${id}/start`, {
        token: user.token,
      });
      const start = await peer.command((c) => c.container_id === id);
      t.equal(start.command.action, 'start');
      peer.succeed(start, 'running');
      t.equal(Container.parse((await starting).body).status, 'running');

      const deleting = call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
      const remove = await peer.command((c) => c.container_id === id);
      t.same(remove.command, { action: 'remove', remove_volume: true });
      peer.succeed(remove, 'missing');
      t.equal((await deleting).status, 204);
      t.equal((await containerOf(server, user.token, id)).status, 404);
      const reservedAfter =
        (await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores ?? 0;
      t.equal(reservedBefore - reservedAfter, 500, 'the reservation is released');
    });

    /** Deletes a running container whose remove fails, the agent seeing it `state` afterwards. */
    const deleteFailing = async (state: 'missing' | 'exited', message: string) => {
      const { id, command } = await create(server, peer, user.token);
      peer.succeed(command, 'running');
      await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
      const deleting = call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
      const remove = await peer.command((c) => c.container_id === id);
      peer.send({
        type: 'AGENT_COMMAND_RESULT',
        command_id: remove.command_id,
        container_id: id,
        ok: false,
        error: { code: 'engine_error', message },
        container: observed(id, state),
      });
      return { id, answer: await deleting };
    };

    void t.test(
      'a remove that fails after its container is gone finishes the delete',
      async (t) => {
        // The engine took the container, then a later step failed (its network, its shaping): the
        // agent's failed result says nothing is left, so the row does not wait for an inventory.
        const { id, answer } = await deleteFailing('missing', 'network rm failed');
        t.equal(answer.status, 204);
        t.equal((await containerOf(server, user.token, id)).status, 404);
      },
    );

    void t.test('a remove that fails with its container still there stays deleting', async (t) => {
      const { id, answer } = await deleteFailing('exited', 'device or resource busy');
      t.equal(answer.status, 202);
      t.equal(await statusOf(server, user.token, id), 'deleting');
    });

    void t.test('the engine exit that a stop causes never takes the stop reason', async (t) => {
      // The agent reports the engine's `die` on its own; it may land just after the stop's result,
      // while the API is still applying that result. Several rounds, since it is a race.
      for (let round = 0; round < 4; round++) {
        const { id, command } = await create(server, peer, user.token);
        peer.succeed(command, 'running');
        await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
        const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, {
          token: user.token,
        });
        const stop = await peer.command((c) => c.container_id === id);
        const result = okResult(stop, 'exited');
        if (!result.ok) throw new Error('unreachable');
        peer.send(result);
        peer.send({
          type: 'AGENT_CONTAINER_STATUS',
          container: result.container,
          reason: 'exited',
          at: new Date().toISOString(),
        });
        t.match(Container.parse((await stopping).body), {
          status: 'stopped',
          status_reason: 'user',
        });
        const shown = Container.parse((await containerOf(server, user.token, id)).body);
        t.equal(shown.status_reason, 'user', `round ${round}: the stop's reason stays`);
        const deleting = call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
        peer.succeed(await peer.command((c) => c.container_id === id), 'missing');
        t.equal((await deleting).status, 204);
      }
    });

    void t.test(
      'an outside exit or OOM kill reported by the agent stops it with a reason',
      async (t) => {
        for (const [oom, reason] of [
          [false, 'exited'],
          [true, 'oom_killed'],
        ] as const) {
          const { id, command } = await create(server, peer, user.token);
          peer.succeed(command, 'running');
          await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
          const result = okResult(command, 'exited');
          if (!result.ok) throw new Error('unreachable');
          peer.send({
            type: 'AGENT_CONTAINER_STATUS',
            container: { ...result.container, oom_killed: oom },
            reason: oom ? 'oom_killed' : 'exited',
            at: new Date().toISOString(),
          });
          await eventually(async () => (await statusOf(server, user.token, id)) === 'stopped');
          const shown = Container.parse((await containerOf(server, user.token, id)).body);
          t.equal(shown.status_reason, reason);
          const deleting = call(server, 'DELETE', `/api/v1/containers/${id}`, {
            token: user.token,
          });
          peer.succeed(await peer.command((c) => c.container_id === id), 'missing');
          t.equal((await deleting).status, 204);
        }
      },
    );
  });
}

void t.test(
  'a host that is away: 503 for start/stop, 202 deleting finished on reconnect',
  async (t) => {
    const server = await lifecycleServer(t, 'pg');
    const { peer, enrollment } = await onlinePeer(t, server, 'flaky');
    const user = await newUser(server, 'bob');
    const { id, command } = await create(server, peer, user.token);
    peer.succeed(command, 'running');
    await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
    peer.ws.terminate();
    await eventually(
      async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
    );

    const stop = await call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
    t.equal(stop.status, 503);
    t.equal(ErrorBody.parse(stop.body).code, 'host_unavailable');
    const deleted = await call(server, 'DELETE', `/api/v1/containers/${id}`, { token: user.token });
    t.equal(deleted.status, 202);
    t.same(deleted.body, { id, status: 'deleting' });

    const back = await AgentPeer.connect(server.url, enrollment.credential);
    t.teardown(() => back.ws.terminate());
    const inventory = okResult(command, 'running');
    if (!inventory.ok) throw new Error('unreachable');
    await back.hello({ hostName: 'flaky', inventory: [inventory.container] });
    back.keepAlive();
    const remove = await back.command((c) => c.container_id === id);
    t.same(remove.command, { action: 'remove', remove_volume: true });
    back.succeed(remove, 'missing');
    await eventually(async () => (await containerOf(server, user.token, id)).status === 404);
    t.equal((await hostRow(server, enrollment.hostId))?.reserved_cpu_millicores, 0);
  },
);

// With `slowRead`, reconciliation's read of the host's rows (and the result's write) wait behind a
// lock on the table, so the re-sent create is answered while the rows it reads still say
// `creating`: it must still not go out a second time.
for (const slowRead of [false, true]) {
  const name = slowRead
    ? 'a create answered before reconciliation reads the rows is not sent a second time'
    : 'a create in flight is re-sent with the same command id after a reconnect';
  void t.test(name, async (t) => {
    const server = await lifecycleServer(t, 'pg');
    const { peer, enrollment } = await onlinePeer(t, server, 'dropper');
    const user = await newUser(server, 'cy');
    const { id, command } = await create(server, peer, user.token);
    await peer.close(CloseCode.NORMAL);
    const pool = server.database.pool;
    if (pool === undefined) throw new Error('the pg driver has a pool');
    const locker = await pool.connect();
    t.teardown(() => locker.release());
    if (slowRead) {
      await locker.query('begin');
      await locker.query('lock table containers in access exclusive mode');
    }
    const back = await AgentPeer.connect(server.url, enrollment.credential);
    t.teardown(() => back.ws.terminate());
    // A running container the database does not know: reconciliation stops it only after it has
    // read the rows and sent (synchronously) every create it decided on, so its stop arriving is
    // the proof that a second create would already have arrived before it.
    const orphan = `ctr_${randomBytes(16).toString('hex')}`;
    await back.hello({ hostName: 'dropper', inventory: [observed(orphan, 'running')] });
    back.keepAlive();
    const again = await back.command((c) => c.container_id === id);
    t.equal(again.command_id, command.command_id);
    back.succeed(again, 'running');
    if (slowRead) {
      await eventually(() => Promise.resolve(!server.hub.hasPendingCommand(id)));
      await locker.query('commit');
    }
    await eventually(async () => (await statusOf(server, user.token, id)) === 'running');
    const quarantine = await back.command((c) => c.container_id === orphan, 30_000);
    t.equal(quarantine.command.action, 'stop', 'reconciliation has run');
    const creates = back.received.filter(
      (m) => m.type === 'CONTROL_COMMAND' && m.container_id === id,
    );
    t.equal(creates.length, 0, 'sent once');
  });
}

void t.test('20 concurrent creates respect the quota with a host online', async (t) => {
  const server = await lifecycleServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'busy');
  const user = await newUser(server, 'dee');
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      call(server, 'POST', '/api/v1/containers', { token: user.token, json: body }),
    ),
  );
  const statuses = answers.map((a) => a.status).sort();
  t.same(statuses, [...Array(5).fill(202), ...Array(15).fill(403)]);
  for (const answer of answers.filter((a) => a.status === 403)) {
    t.equal(ErrorBody.parse(answer.body).code, 'container_limit_reached');
  }
  for (let i = 0; i < 5; i++) peer.succeed(await peer.command(), 'running');
  await eventually(async () => {
    const list = await call(server, 'GET', '/api/v1/containers', { token: user.token });
    return (list.body.containers as { status: string }[]).every((c) => c.status === 'running');
  });
});
