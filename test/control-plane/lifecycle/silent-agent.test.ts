// Commands a connected agent never answers (PROTOCOL.md §7 "Timeouts", "A result no command
// awaits"): start and stop answer 503 host_unavailable, a create stays `creating` for
// reconciliation, which re-sends it on the host's next HELLO, and a late result still counts (the
// create's answer, or the container reconciled through the table) unless a newer command for the
// container is in flight, which then decides alone; a stop answered at once (the row already
// stopped) is not overturned by a timed-out start's late result. The real control plane on
// Postgres with its command timeouts capped (../hub/hub-server.ts), and a scripted agent that
// heartbeats but holds its answers until told. Each late result is waited for through its ack.
import { Container, ErrorBody, type ControlCommand } from '@rexec/protocol';
import t, { type Test } from 'tap';
import { call, newUser } from '../http/server.js';
import { AgentPeer, okResult } from '../hub/agent-peer.js';
import {
  eventually,
  onlinePeer,
  startHubServer,
  type HubServer,
  type ServerWiring,
} from '../hub/hub-server.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };
/** The cap on the commands the peer leaves unanswered (the others keep the real timeouts). */
const CAP_MS = 500;
const ACK_WAIT_MS = 60_000;

async function show(server: HubServer, token: string, id: string) {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

async function setup(t: Test) {
  const wiring: ServerWiring = {};
  const server = await startHubServer(t, 'pg', {}, {}, {}, wiring);
  const { peer, enrollment } = await onlinePeer(t, server, 'silent-worker', {
    hello: { capabilities: ['result_ack'] },
  });
  const user = await newUser(server, 'sil');
  return { server, wiring, peer, enrollment, user };
}

/** A container the agent created and reported running. */
async function runningContainer(server: HubServer, peer: AgentPeer, token: string) {
  const created = await call(server, 'POST', '/api/v1/containers', { token, json: body });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => (await show(server, token, id)).status === 'running', 30_000);
  return id;
}

/** Sends a result the control plane no longer awaits and waits until it has dealt with it. */
async function lateResult(peer: AgentPeer, command: ControlCommand, state: 'running' | 'exited') {
  peer.succeed(command, state);
  await peer.next('CONTROL_RESULT_ACK', (m) => m.command_id === command.command_id, ACK_WAIT_MS);
}

void t.test('start and stop answer 503 and their late results still count', async (t) => {
  const { server, wiring, peer, enrollment, user } = await setup(t);
  const id = await runningContainer(server, peer, user.token);

  wiring.commandTimeoutCapMs = CAP_MS;
  const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
  const stop = await peer.command((c) => c.container_id === id);
  t.equal(stop.command.action, 'stop');
  const stopAnswer = await stopping;
  t.equal(stopAnswer.status, 503);
  t.equal(ErrorBody.parse(stopAnswer.body).code, 'host_unavailable');
  t.ok(server.hub.isConnected(enrollment.hostId), 'the silent host is still connected');
  t.equal((await show(server, user.token, id)).status, 'running', 'nothing changed yet');

  await lateResult(peer, stop, 'exited');
  t.equal((await show(server, user.token, id)).status, 'stopped', 'the late stop result counts');

  const starting = call(server, 'POST', `/api/v1/containers/${id}/start`, { token: user.token });
  const start = await peer.command((c) => c.container_id === id);
  t.equal(start.command.action, 'start');
  const startAnswer = await starting;
  t.equal(startAnswer.status, 503);
  t.equal(ErrorBody.parse(startAnswer.body).code, 'host_unavailable');
  t.equal((await show(server, user.token, id)).status, 'stopped', 'nothing changed yet');

  await lateResult(peer, start, 'running');
  t.equal((await show(server, user.token, id)).status, 'running', 'the late start result counts');
});

void t.test('a late result is left alone while a newer command is in flight', async (t) => {
  const { server, wiring, peer, user } = await setup(t);
  const id = await runningContainer(server, peer, user.token);

  wiring.commandTimeoutCapMs = CAP_MS;
  const timedOut = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
  const first = await peer.command((c) => c.container_id === id);
  t.equal((await timedOut).status, 503);

  // The user asks again, under the real timeout this time, and that stop is not answered yet.
  wiring.commandTimeoutCapMs = undefined;
  const again = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
  const second = await peer.command((c) => c.container_id === id);
  t.not(second.command_id, first.command_id, 'a new command');
  await lateResult(peer, first, 'exited');
  t.equal(
    (await show(server, user.token, id)).status,
    'running',
    'the late result did not move the row under the stop in flight',
  );

  peer.succeed(second, 'exited');
  const answer = await again;
  t.equal(answer.status, 200);
  t.match(Container.parse(answer.body), { status: 'stopped', status_reason: 'user' });
});

void t.test(
  "a stop answered at once is not undone by a timed-out start's late result",
  async (t) => {
    const { server, wiring, peer, user } = await setup(t);
    const id = await runningContainer(server, peer, user.token);
    const stopping = call(server, 'POST', `/api/v1/containers/${id}/stop`, { token: user.token });
    peer.succeed(await peer.command((c) => c.container_id === id), 'exited');
    t.equal((await stopping).status, 200);

    wiring.commandTimeoutCapMs = CAP_MS;
    const starting = call(server, 'POST', `/api/v1/containers/${id}/start`, { token: user.token });
    const start = await peer.command((c) => c.container_id === id);
    t.equal((await starting).status, 503);
    wiring.commandTimeoutCapMs = undefined;
    // The row is still stopped, so this stop needs no command and answers at once: the user's last
    // word, which the start's late result must not overturn.
    const stopped = await call(server, 'POST', `/api/v1/containers/${id}/stop`, {
      token: user.token,
    });
    t.equal(stopped.status, 200);
    t.equal(Container.parse(stopped.body).status, 'stopped');

    // The start did happen on the host: reconciliation stops the container again.
    peer.succeed(start, 'running');
    const stopAgain = await peer.command((c) => c.container_id === id, ACK_WAIT_MS);
    t.equal(stopAgain.command.action, 'stop', 'the control plane stops what the late start ran');
    peer.succeed(stopAgain, 'exited');
    await peer.next('CONTROL_RESULT_ACK', (m) => m.command_id === start.command_id, ACK_WAIT_MS);
    t.equal((await show(server, user.token, id)).status, 'stopped', 'still stopped');
  },
);

void t.test('a create that times out is left to reconciliation', async (t) => {
  const { server, wiring, peer, enrollment, user } = await setup(t);
  wiring.commandTimeoutCapMs = CAP_MS;

  const create = async () => {
    const created = await call(server, 'POST', '/api/v1/containers', {
      token: user.token,
      json: body,
    });
    t.equal(created.status, 202);
    const id = Container.parse(created.body).id;
    const command = await peer.command((c) => c.container_id === id);
    await eventually(
      () =>
        Promise.resolve(
          server.logs.some(
            (line) =>
              line['msg'] === 'create not confirmed; left to reconciliation' &&
              line['container_id'] === id,
          ),
        ),
      ACK_WAIT_MS,
      `the create of ${id} timing out`,
    );
    t.equal((await show(server, user.token, id)).status, 'creating', 'still creating');
    return { id, command };
  };

  // Its late result is the create's answer.
  const answered = await create();
  await lateResult(peer, answered.command, 'running');
  t.equal((await show(server, user.token, answered.id)).status, 'running', 'the late answer');

  // With no answer at all, the host's next HELLO re-sends it (the agent makes it idempotent).
  const unanswered = await create();
  wiring.commandTimeoutCapMs = undefined;
  peer.ws.terminate();
  await peer.closed;
  const back = await AgentPeer.connect(server.url, enrollment.credential);
  t.teardown(() => back.ws.terminate());
  await back.hello({ hostName: 'silent-worker', capabilities: ['result_ack'] });
  back.keepAlive();
  const resent = await back.command((c) => c.container_id === unanswered.id, ACK_WAIT_MS);
  t.equal(resent.command.action, 'create', 'reconciliation sends the create again');
  back.send(okResult(resent, 'running'));
  await eventually(
    async () => (await show(server, user.token, unanswered.id)).status === 'running',
    ACK_WAIT_MS,
    'the re-sent create answered',
  );
  t.pass('the container runs after the re-sent create');
});
