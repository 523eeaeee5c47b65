// An agent given two replicas (REXEC_URL "a,b") survives losing the one it is on: after `kill -9`
// of replica A, it reconnects to B within its backoff, and the container it runs is stopped and
// started again through B, which can only reach the agent if the agent's socket is on B. The time
// from the kill to B reaching the agent is printed, not asserted. A create accepted by A just before
// its kill ends running on the agent once, through B, and a terminal opened through A resumes
// through B with its shell and scrollback. A stop under way on the agent when A dies (the
// container's init is frozen, so the engine's stop takes its whole timeout) ends with the container
// stopped, as B says, with one container.stopped event, and A's stop command run once on the agent.
import t, { type Test } from 'tap';
import { Container, EventList } from '@rexec/protocol';
import { TerminalClient } from '../control-plane/terminal/terminal-client.js';
import { parseLogLine, type RunningProcess } from '../helpers/child-process.js';
import { engine } from '../helpers/engine.js';
import { startControlPlane } from '../helpers/processes.js';
import { callApi } from '../helpers/rest.js';
import { startFleet, type Fleet } from './fleet.js';
import { engineStates } from './replica-trio.js';
import { checkResumed, markShell } from './shell-resume.js';

/** The agent's recent log lines whose message is `msg`, parsed, in order. */
function logged(agent: RunningProcess, msg: string): Record<string, unknown>[] {
  return agent
    .output()
    .split('\n')
    .map(parseLogLine)
    .filter((line): line is Record<string, unknown> => line?.['msg'] === msg);
}

/** The replicas the agent opened sockets to, in order, from its recent log. */
function socketsOpened(agent: RunningProcess): unknown[] {
  return logged(agent, 'socket open to the control plane').map((line) => line['url']);
}

/** A busybox container on the fleet, once it runs. */
async function runningBox(fleet: Fleet): Promise<Container> {
  const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
  return fleet.containerStatus(box.id, 'running');
}

/** A fleet's replica A, a second replica B on the same database, and an agent given both. */
async function twoReplicas(t: Test, hostName: string) {
  const fleet = await startFleet(t);
  const second = await startControlPlane(t, {
    env: {
      REXEC_DATABASE_URL: fleet.databaseUrl,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
    },
  });
  const { agent } = await fleet.joinAgent(hostName, {
    REXEC_URL: `${fleet.controlPlane.url},${second.url}`,
  });
  const viaSecond = (method: string, path: string) =>
    callApi(second.url, second.adminToken, method, path);
  return { fleet, second, agent, viaSecond };
}

void t.test(
  'kill -9 of the replica an agent is on: the agent carries on with the other',
  async (t) => {
    const { fleet, second, agent, viaSecond } = await twoReplicas(t, 'e2e-failover');
    const box = await runningBox(fleet);
    t.same(socketsOpened(agent), [fleet.controlPlane.url], 'the agent is on the first replica');

    const killedAt = Date.now();
    await fleet.controlPlane.stop('SIGKILL');
    // The stop is refused (503, host not connected here) until the agent's socket is on B.
    await fleet.waitFor(
      'a stop through the second replica',
      async () => {
        const answer = await viaSecond('POST', `/containers/${box.id}/stop`);
        return answer.status < 300 ? answer : undefined;
      },
      60_000,
      250,
    );
    t.comment(`the second replica reached the agent ${Date.now() - killedAt} ms after the kill`);
    const stopped = await fleet.waitFor('stopped, as B says', async () => {
      const row = Container.parse((await viaSecond('GET', `/containers/${box.id}`)).body);
      return row.status === 'stopped' ? row : undefined;
    });
    t.equal(stopped.status, 'stopped');
    const state = await engine(fleet.kind, [
      'inspect',
      '-f',
      '{{.State.Running}}',
      `rexec-${box.id}`,
    ]);
    t.equal(state.stdout.trim(), 'false', 'and the engine agrees');

    t.ok((await viaSecond('POST', `/containers/${box.id}/start`)).status < 300, 'start through B');
    const running = await fleet.waitFor('running again', async () => {
      const row = Container.parse((await viaSecond('GET', `/containers/${box.id}`)).body);
      return row.status === 'running' ? row : undefined;
    });
    t.equal(running.status, 'running');
    t.equal(socketsOpened(agent).at(-1), second.url, 'the agent logged the replica it moved to');
    const deleted = await viaSecond('DELETE', `/containers/${box.id}`);
    t.ok(deleted.status < 300, `deleted through B (${deleted.status})`);
    await fleet.waitFor('gone from the engine', async () => {
      const listed = await engine(fleet.kind, [
        'ps',
        '-a',
        '-q',
        '--filter',
        `name=rexec-${box.id}`,
      ]);
      return listed.stdout.trim() === '' ? true : undefined;
    });
  },
);

void t.test('kill -9 of the replica during a create: the container runs, once', async (t) => {
  const { fleet, viaSecond } = await twoReplicas(t, 'e2e-failover-create');
  // A accepts the create (202) and dies before it can hear the agent's answer, or send it at all.
  const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
  const killedAt = Date.now();
  await fleet.controlPlane.stop('SIGKILL');
  const running = await fleet.waitFor(
    'running, as B says',
    async () => {
      const row = Container.parse((await viaSecond('GET', `/containers/${box.id}`)).body);
      if (row.status === 'error') throw new Error(`the create failed: ${JSON.stringify(row)}`);
      return row.status === 'running' ? row : undefined;
    },
    90_000,
    250,
  );
  t.equal(running.status, 'running');
  t.comment(`running, as B says, ${Date.now() - killedAt} ms after the kill`);
  const listed = await engine(fleet.kind, [
    'ps',
    '-a',
    '--filter',
    `label=io.rexec.container-id=${box.id}`,
    '--format',
    '{{.Names}}',
  ]);
  t.same(listed.stdout.trim().split('\n'), [`rexec-${box.id}`], 'one engine container');
  const state = await engine(fleet.kind, [
    'inspect',
    '-f',
    '{{.State.Running}}',
    `rexec-${box.id}`,
  ]);
  t.equal(state.stdout.trim(), 'true', 'and it runs');
});

void t.test(
  'kill -9 of the replica a terminal goes through: it resumes through the other',
  async (t) => {
    const { fleet, second } = await twoReplicas(t, 'e2e-failover-terminal');
    const box = await runningBox(fleet);
    const first = await TerminalClient.connect(fleet.controlPlane.url, box.id, {
      token: fleet.controlPlane.adminToken,
      session: 'keep',
    });
    const shell = await markShell(first, 'keep', 'failover');
    await fleet.controlPlane.stop('SIGKILL');
    // B answers the terminal once the agent's socket is on B; until then it refuses the open.
    const again = await fleet.waitFor(
      'a terminal through B',
      () =>
        TerminalClient.connect(second.url, box.id, {
          token: second.adminToken,
          session: 'keep',
        }).catch(() => undefined),
      60_000,
      250,
    );
    await checkResumed(t, again, shell);
  },
);

void t.test(
  'kill -9 of the replica holding the agent during a stop: the container stops, once',
  async (t) => {
    const { fleet, second, agent, viaSecond } = await twoReplicas(t, 'e2e-failover-stop');
    const box = await runningBox(fleet);
    // A container slow to stop: its init is frozen, so the engine's stop waits out its timeout
    // (10 s) before it kills it, and the stop is still under way on the agent when A dies.
    await engine(fleet.kind, ['kill', '--signal', 'STOP', `rexec-${box.id}`]);
    const stops = (msg: string) =>
      logged(agent, msg).filter(
        (line) => line['containerId'] === box.id && line['action'] === 'stop',
      );
    const asked = fleet.api('POST', `/containers/${box.id}/stop`).catch((error: unknown) => error);
    const [started] = await fleet.waitFor(
      'the agent to start the stop',
      () => {
        const seen = stops('command started');
        return Promise.resolve(seen.length > 0 ? seen : undefined);
      },
      30_000,
      50,
    );
    await fleet.controlPlane.stop('SIGKILL');
    const killedAt = Date.now();
    t.same(stops('command finished'), [], 'the stop was under way on the agent when A died');
    t.type(await asked, Error, 'A died before it could answer the stop');

    const stopped = await fleet.containerStatus(box.id, 'stopped', 90_000, second);
    t.comment(`stopped, as B says, ${Date.now() - killedAt} ms after the kill`);
    t.equal(socketsOpened(agent).at(-1), second.url, 'the agent moved to B');
    await fleet.waitFor('every stop the agent began to finish', () =>
      Promise.resolve(
        stops('command finished').length === stops('command started').length ? true : undefined,
      ),
    );
    t.equal(
      stops('command started').filter((line) => line['commandId'] === started?.['commandId'])
        .length,
      1,
      "A's stop ran once on the agent",
    );
    t.comment(`stops the agent ran for it: ${stops('command started').length}`);
    t.equal(stopped.status_reason, 'user', "stopped as the user's stop");
    const events = EventList.parse(
      (await viaSecond('GET', `/events?container_id=${box.id}&type=container.stopped`)).body,
    );
    t.equal(events.events.length, 1, 'one container.stopped event');
    t.equal(await engineStates(fleet.kind, box.id), 'exited', 'and the engine has it stopped');
  },
);
