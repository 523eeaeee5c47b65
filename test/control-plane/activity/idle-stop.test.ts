// Idle auto-stop against a real control plane and Postgres: the tier field through the API, the
// idle pass stopping a running container whose tier allows it with reason `idle` (status and
// event), CPU in heartbeats from a scripted agent keeping one running, idle_stop_at on the
// container object, tiers without an idle stop, and two passes racing for the same rows. Rows
// are placed on a peer's host directly and aged by moving started_at back, not by waiting.
import { Container, EventList, Tier, TierList } from '@rexec/protocol';
import t, { type Test } from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { insertContainer } from '../http/rows.js';
import { call, newUser } from '../http/server.js';
import { observed, type AgentPeer } from '../hub/agent-peer.js';
import { reconcileInventory } from '../../../packages/control-plane/src/lifecycle/index.js';
import { CPU_THRESHOLD, onlineHost, startIdleServer, type IdleServer } from './idle-server.js';

const MINUTE_MS = 60_000;

async function setIdle(server: IdleServer, tier: string, minutes: number | null): Promise<Tier> {
  const answer = await call(server, 'PATCH', `/api/v1/tiers/${tier}`, {
    token: server.adminToken,
    json: { idle_stop_minutes: minutes },
  });
  if (answer.status !== 200) throw new Error(`PATCH answered ${answer.status}`);
  return Tier.parse(answer.body);
}

async function show(server: IdleServer, token: string, id: string): Promise<Container> {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

/** A running container on `hostId` that started (and last did anything) `minutesAgo` ago. */
async function runningFor(
  server: IdleServer,
  userId: string,
  hostId: string,
  minutesAgo: number,
  name: string,
): Promise<string> {
  const row = await insertContainer(server.database, userId, {
    name,
    hostId,
    status: 'running',
    desiredStatus: 'running',
    statusReason: null,
    createdAt: new Date(Date.now() - minutesAgo * MINUTE_MS - 1000),
    startedAt: new Date(Date.now() - minutesAgo * MINUTE_MS),
  });
  return row.id;
}

/** Runs one pass, answering every stop the peer is sent; resolves with the stopped ids. */
async function pass(
  t: Test,
  server: IdleServer,
  peer: AgentPeer,
  expected: number,
): Promise<string[]> {
  const running = server.idleStop.stopIdleOnce();
  const stopped: string[] = [];
  for (let i = 0; i < expected; i++) {
    const command = await peer.command((c) => c.command.action === 'stop');
    stopped.push(command.container_id);
    peer.succeed(command, 'exited');
  }
  t.equal(await running, expected, `the pass stopped ${expected}`);
  return stopped.sort();
}

async function lastActive(server: IdleServer, id: string): Promise<Date | null> {
  const rows = await selectRows<{ last_active_at: Date | string | null }>(
    server.database.db,
    sql`select last_active_at from containers where id = ${id}`,
  );
  const value = rows[0]?.last_active_at ?? null;
  return value === null ? null : new Date(value);
}

void t.test('idle auto-stop', async (t) => {
  const server = await startIdleServer(t);
  const { peer, hostId } = await onlineHost(t, server, 'idle-host');
  const idler = await newUser(server, 'idler', 'pro');
  const forever = await newUser(server, 'forever', 'enterprise');

  void t.test('every tier has no idle stop until an admin sets one', async (t) => {
    const { tiers } = TierList.parse(
      (await call(server, 'GET', '/api/v1/tiers', { token: idler.token })).body,
    );
    t.same(
      tiers.map((tier) => [tier.name, tier.idle_stop_minutes]),
      [
        ['community', null],
        ['pro', null],
        ['enterprise', null],
      ],
    );
    t.equal((await setIdle(server, 'pro', 60)).idle_stop_minutes, 60);
    t.equal((await setIdle(server, 'pro', null)).idle_stop_minutes, null, 'null turns it off');
    t.equal((await setIdle(server, 'pro', 43_200)).idle_stop_minutes, 43_200, 'thirty days');
    for (const bad of [0, -5, 43_201, 1.5, '10']) {
      const answer = await call(server, 'PATCH', '/api/v1/tiers/pro', {
        token: server.adminToken,
        json: { idle_stop_minutes: bad },
      });
      t.equal(answer.status, 400, `${JSON.stringify(bad)} is refused`);
      t.equal(answer.body.code, 'invalid_request');
    }
    const userTry = await call(server, 'PATCH', '/api/v1/tiers/pro', {
      token: idler.token,
      json: { idle_stop_minutes: 5 },
    });
    t.equal(userTry.status, 403, 'only an admin edits tiers');
  });

  void t.test('an idle container is stopped with reason idle; a busy one is not', async (t) => {
    await setIdle(server, 'pro', 10);
    const idle = await runningFor(server, idler.id, hostId, 11, 'sleepy');
    const fresh = await runningFor(server, idler.id, hostId, 9, 'fresh');
    const untiered = await runningFor(server, forever.id, hostId, 600, 'timeless');

    const shownBefore = await show(server, idler.token, fresh);
    t.ok(shownBefore.started_at !== undefined && shownBefore.idle_stop_at != null);
    t.equal(
      Date.parse(shownBefore.idle_stop_at ?? '') - Date.parse(shownBefore.started_at ?? ''),
      10 * MINUTE_MS,
      'idle_stop_at is the start plus the tier’s minutes',
    );
    t.equal((await show(server, forever.token, untiered)).idle_stop_at, null, 'no idle stop');

    t.same(await pass(t, server, peer, 1), [idle], 'only the container idle past its tier');
    const stopped = await show(server, idler.token, idle);
    t.match(stopped, { status: 'stopped', status_reason: 'idle', idle_stop_at: null });
    const events = EventList.parse(
      (
        await call(server, 'GET', `/api/v1/events?container_id=${idle}&type=container.stopped`, {
          token: idler.token,
        })
      ).body,
    ).events;
    t.equal(events.length, 1, 'one container.stopped event');
    t.equal(events[0]?.data['reason'], 'idle');
    t.equal((await show(server, idler.token, fresh)).status, 'running');
    t.equal((await show(server, forever.token, untiered)).status, 'running', 'null: never');
    t.equal(await server.idleStop.stopIdleOnce(), 0, 'a second pass finds nothing more');
  });

  void t.test('an idle stop the agent failed is finished later with reason idle', async (t) => {
    await setIdle(server, 'pro', 10);
    const id = await runningFor(server, idler.id, hostId, 11, 'sleepy-then-stuck');
    const running = server.idleStop.stopIdleOnce();
    const failed = await peer.command((c) => c.container_id === id);
    peer.send({
      type: 'AGENT_COMMAND_RESULT',
      command_id: failed.command_id,
      container_id: id,
      ok: false,
      error: { code: 'engine_error', message: 'stop timed out' },
      container: observed(id, 'running'),
    });
    t.equal(await running, 1, 'claimed, though its stop failed');
    t.equal((await show(server, idler.token, id)).status, 'running');
    // Reconciliation (the next pass, or the host's next HELLO) sends the stop again.
    const reconciling = reconcileInventory(server.lifecycle, {
      hostId,
      inventory: [observed(id, 'running')],
      inFlight: new Set(),
    });
    peer.succeed(await peer.command((c) => c.container_id === id), 'exited');
    await reconciling;
    t.match(await show(server, idler.token, id), { status: 'stopped', status_reason: 'idle' });
  });

  void t.test('CPU at the threshold in a heartbeat counts as activity', async (t) => {
    await setIdle(server, 'pro', 10);
    const busy = await runningFor(server, idler.id, hostId, 30, 'busy');
    const quiet = await runningFor(server, idler.id, hostId, 30, 'quiet');
    const before = (await show(server, idler.token, busy)).idle_stop_at;
    peer.heartbeat(1000, [
      { container_id: busy, cpu_millicores: CPU_THRESHOLD },
      { container_id: quiet, cpu_millicores: CPU_THRESHOLD - 1 },
    ]);
    // The hub hands a beat's usage to the tracker as it answers it.
    await peer.next('CONTROL_HEARTBEAT_ACK', (ack) => ack.seq === 1000);
    await server.activity.flush();
    t.ok(await lastActive(server, busy), 'at the threshold is activity');
    t.equal(await lastActive(server, quiet), null, 'below the threshold is not activity');
    t.same(await pass(t, server, peer, 1), [quiet], 'the quiet one is stopped');
    const after = await show(server, idler.token, busy);
    t.equal(after.status, 'running', 'the busy one keeps running');
    t.ok(
      Date.parse(after.idle_stop_at ?? '') > Date.parse(before ?? '') + 20 * MINUTE_MS,
      'its idle_stop_at moved to its last activity plus ten minutes',
    );

    // Beats repeat usage only when it changes: the busy reading stands until a lower one.
    const ageActivity = () =>
      server.database.db.execute(
        sql`update containers set last_active_at = now() - interval '30 minutes' where id = ${busy}`,
      );
    await ageActivity();
    t.equal(await server.idleStop.stopIdleOnce(), 0, 'no new beat, still busy: not idle');
    peer.heartbeat(1001, [{ container_id: busy, cpu_millicores: 0 }]);
    await peer.next('CONTROL_HEARTBEAT_ACK', (ack) => ack.seq === 1001);
    await server.activity.flush();
    await ageActivity();
    t.same(await pass(t, server, peer, 1), [busy], 'once it calms down it is idle');
  });

  void t.test('another host’s CPU report does not keep a container awake', async (t) => {
    await setIdle(server, 'pro', 10);
    const other = await onlineHost(t, server, 'meddler');
    const target = await runningFor(server, idler.id, hostId, 30, 'target');
    other.peer.heartbeat(1000, [{ container_id: target, cpu_millicores: 4000 }]);
    await other.peer.next('CONTROL_HEARTBEAT_ACK', (ack) => ack.seq === 1000);
    await server.activity.flush();
    t.equal(await lastActive(server, target), null, 'nothing written');
    t.same(await pass(t, server, peer, 1), [target]);
  });

  void t.test('a tier change applies to running containers at the next pass', async (t) => {
    await setIdle(server, 'pro', 60);
    const id = await runningFor(server, idler.id, hostId, 20, 'patient');
    t.equal(await server.idleStop.stopIdleOnce(), 0, 'twenty minutes is not idle under sixty');
    await setIdle(server, 'pro', 15);
    const shown = await show(server, idler.token, id);
    t.ok(Date.parse(shown.idle_stop_at ?? '') <= Date.now(), 'idle_stop_at is already past');
    t.same(await pass(t, server, peer, 1), [id]);
  });

  void t.test('tracked activity moves idle_stop_at and keeps the container', async (t) => {
    await setIdle(server, 'pro', 10);
    const id = await runningFor(server, idler.id, hostId, 30, 'typed-in');
    const release = server.activity.hold(id);
    t.equal(await server.idleStop.stopIdleOnce(), 0, 'held (an exec running): not idle');
    release();
    const shown = await show(server, idler.token, id);
    t.ok(Date.parse(shown.idle_stop_at ?? '') > Date.now() + 5 * MINUTE_MS, 'moved forward');
    t.equal(shown.status, 'running');
  });

  void t.test('a container being stopped or deleted is left alone', async (t) => {
    await setIdle(server, 'pro', 10);
    const stopping = await runningFor(server, idler.id, hostId, 30, 'stopping');
    const deleting = await runningFor(server, idler.id, hostId, 30, 'deleting');
    await server.database.db.execute(
      sql`update containers set desired_status = 'stopped' where id = ${stopping}`,
    );
    await server.database.db.execute(
      sql`update containers set status = 'deleting', desired_status = 'deleted'
          where id = ${deleting}`,
    );
    t.equal(await server.idleStop.stopIdleOnce(), 0);
  });

  void t.test('two passes at once stop each idle container once', async (t) => {
    await setIdle(server, 'pro', 10);
    const ids = [
      await runningFor(server, idler.id, hostId, 30, 'race-a'),
      await runningFor(server, idler.id, hostId, 30, 'race-b'),
      await runningFor(server, idler.id, hostId, 30, 'race-c'),
    ].sort();
    const both = Promise.all([server.idleStop.stopIdleOnce(), server.otherIdleStop.stopIdleOnce()]);
    const stopped: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const command = await peer.command((c) => c.command.action === 'stop');
      stopped.push(command.container_id);
      peer.succeed(command, 'exited');
    }
    const [a, b] = await both;
    t.equal(a + b, ids.length, 'every container claimed by exactly one pass');
    t.same(stopped.sort(), ids, 'one stop command each');
    for (const id of ids) t.equal((await show(server, idler.token, id)).status_reason, 'idle');
  });
});
