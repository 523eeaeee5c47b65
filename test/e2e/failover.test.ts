// An agent given two replicas (REXEC_URL "a,b") survives losing the one it is on: after `kill -9`
// of replica A, it reconnects to B within its backoff, and the container it runs is stopped and
// started again through B, which can only reach the agent if the agent's socket is on B. The time
// from the kill to B reaching the agent is printed, not asserted. A create accepted by A just before
// its kill ends running on the agent once, through B, and a terminal opened through A resumes
// through B with its shell and scrollback.
import t, { type Test } from 'tap';
import { Container } from '@rexec/protocol';
import { TerminalClient } from '../control-plane/terminal/terminal-client.js';
import { parseLogLine, type RunningProcess } from '../helpers/child-process.js';
import { engine } from '../helpers/engine.js';
import { startControlPlane } from '../helpers/processes.js';
import { callApi } from '../helpers/rest.js';
import { startFleet } from './fleet.js';

/** The replicas the agent opened sockets to, in order, from its recent log. */
function socketsOpened(agent: RunningProcess): unknown[] {
  return agent
    .output()
    .split('\n')
    .map(parseLogLine)
    .filter((line) => line?.['msg'] === 'socket open to the control plane')
    .map((line) => line?.['url']);
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
    const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
    await fleet.containerStatus(box.id, 'running');
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
    const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
    await fleet.containerStatus(box.id, 'running');
    const first = await TerminalClient.connect(fleet.controlPlane.url, box.id, {
      token: fleet.controlPlane.adminToken,
      session: 'keep',
    });
    await first.next('ready');
    first.type('mkdir -p /tmp/failover && cd /tmp/failover && echo marker-$((400+56))\n');
    await first.outputMatching(/marker-456/);
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
    t.same(await again.next('ready'), { type: 'ready', session: 'keep', resumed: true });
    await again.outputMatching(/marker-456/);
    t.pass('the scrollback holds what was typed through A');
    again.type("pwd | sed 's/^/cwd=/'\n");
    await again.outputMatching(/cwd=\/tmp\/failover/);
    t.pass('the same shell, in the same directory');
    await again.close();
  },
);
