// Results are never lost (issue 15): a command result Postgres fails to record is retried until it
// lands, and acknowledged to the agent only then; a result re-sent after a reconnect (the command
// forgotten by a restarted control plane) still settles its row. Real Postgres and the real hub; a
// scripted agent (../hub/agent-peer.ts) so the fault lands exactly while the result is written.
// The fault is a trigger failing every update of one row with SQLSTATE 57P01 (what a Postgres
// restart gives a live connection), dropped again to end the blip.
import { randomBytes } from 'node:crypto';
import { Container } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { call, newUser } from '../http/server.js';
import { observed } from '../hub/agent-peer.js';
import { eventually, onlinePeer, startHubServer, type HubServer } from '../hub/hub-server.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };

async function show(server: HubServer, token: string, id: string) {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

/** Every update of the container's row fails until the returned function is called. */
async function failUpdates(server: HubServer, containerId: string): Promise<() => Promise<void>> {
  const name = `blip_${randomBytes(6).toString('hex')}`;
  const { db } = server.database;
  await db.execute(
    sql.raw(`create function ${name}() returns trigger language plpgsql as $$
      begin
        raise exception 'terminating connection due to administrator command'
          using errcode = '57P01';
      end $$`),
  );
  await db.execute(
    sql.raw(`create trigger ${name} before update on containers for each row
      when (old.id = '${containerId}') execute function ${name}()`),
  );
  return async () => {
    await db.execute(sql.raw(`drop trigger ${name} on containers`));
    await db.execute(sql.raw(`drop function ${name}()`));
  };
}

void t.test(
  'a create result that meets a Postgres blip is written once Postgres is back',
  async (t) => {
    const server = await startHubServer(t, 'pg');
    const { peer } = await onlinePeer(t, server, 'blip', {
      hello: { capabilities: ['result_ack'] },
    });
    const user = await newUser(server, 'gil');
    const created = await call(server, 'POST', '/api/v1/containers', {
      token: user.token,
      json: body,
    });
    const id = Container.parse(created.body).id;
    const create = await peer.command((c) => c.container_id === id);
    const recover = await failUpdates(server, id);
    peer.succeed(create, 'running');
    await eventually(
      () =>
        Promise.resolve(
          server.logs.some((l) => l.msg === 'cannot record a create result; retrying'),
        ),
      5_000,
      'a failed write of the result',
    );
    t.equal((await show(server, user.token, id)).status, 'creating', 'not written while down');
    t.notOk(
      peer.received.some((m) => m.type === 'CONTROL_RESULT_ACK'),
      'and not acknowledged to the agent',
    );
    await recover();

    await eventually(
      async () => (await show(server, user.token, id)).status === 'running',
      15_000,
      'the row to say running',
    );
    const ack = await peer.next('CONTROL_RESULT_ACK', undefined, 5_000);
    t.equal(ack.command_id, create.command_id, 'acknowledged once written');
    // The stuck state of the issue refused these: the row is usable again without a HELLO.
    const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
    peer.succeed(await peer.command((c) => c.container_id === id), 'exited');
    t.equal((await stopping).status, 200);
    t.equal((await show(server, user.token, id)).status, 'stopped');
  },
);

void t.test(
  'a result re-sent after a reconnect settles a row its command was forgotten for',
  async (t) => {
    const server = await startHubServer(t, 'pg');
    const { peer } = await onlinePeer(t, server, 'resend', {
      hello: { capabilities: ['result_ack'] },
    });
    const user = await newUser(server, 'hal');
    const created = await call(server, 'POST', '/api/v1/containers', {
      token: user.token,
      json: body,
    });
    const id = Container.parse(created.body).id;
    // The create went out from a control plane that died before its answer: no command awaits it
    // here, and the row still says creating.
    const forgotten = `cmd_${randomBytes(12).toString('hex')}`;
    peer.succeed(await peer.command((c) => c.container_id === id), 'running');
    await eventually(async () => (await show(server, user.token, id)).status === 'running');
    await server.database.db.execute(
      sql`update containers set status = 'creating' where id = ${id}`,
    );

    peer.send({
      type: 'AGENT_COMMAND_RESULT',
      command_id: forgotten,
      container_id: id,
      ok: true,
      replayed: true,
      container: observed(id, 'running'),
    });
    const ack = await peer.next('CONTROL_RESULT_ACK', (m) => m.command_id === forgotten);
    t.equal(ack.command_id, forgotten);
    t.equal((await show(server, user.token, id)).status, 'running', 'the re-sent result counts');
  },
);

void t.test('an agent that keeps no results is sent no acknowledgements', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'plain');
  const user = await newUser(server, 'ida');
  const created = await call(server, 'POST', '/api/v1/containers', {
    token: user.token,
    json: body,
  });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => (await show(server, user.token, id)).status === 'running');
  // A stop after the create: its result passes the same socket after any acknowledgement would.
  const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
  peer.succeed(await peer.command((c) => c.container_id === id), 'exited');
  t.equal((await stopping).status, 200);
  const welcome = peer.received.find((m) => m.type === 'CONTROL_RESULT_ACK');
  t.equal(welcome, undefined, 'no CONTROL_RESULT_ACK');
});
