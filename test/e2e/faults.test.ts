// Faults on the real fleet: a frozen agent, an agent killed in the middle of a create, and a control
// plane restart. The invariants: liveness within the protocol's deadline, no duplicate containers,
// no status lost.
import t from 'tap';
import { Container, UNREACHABLE_DEADLINE_MS } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startAgent } from '../helpers/processes.js';
import { startFleet, type Fleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

async function engineContainers(fleet: Fleet, id: string): Promise<string[]> {
  const listed = await engine(fleet.kind, [
    'ps',
    '-aq',
    '--filter',
    `label=io.rexec.container-id=${id}`,
  ]);
  return listed.stdout.split('\n').filter(Boolean);
}

void t.test('a frozen agent makes its host unreachable within the deadline', async (t) => {
  const fleet = await startFleet(t);
  const { agent, hostId } = await fleet.joinAgent('e2e-frozen');
  agent.process.kill('SIGSTOP');
  t.teardown(() => {
    agent.process.kill('SIGCONT');
  });
  // The contract is UNREACHABLE_DEADLINE_MS; the extra second covers this test's own polling.
  await fleet.waitFor(
    'host unreachable',
    async () => {
      const host = (await fleet.hosts()).find((h) => h.id === hostId);
      return host?.status === 'unreachable' ? host : undefined;
    },
    UNREACHABLE_DEADLINE_MS + 1000,
  );
  t.pass('unreachable within the deadline');
});

void t.test('an agent killed in the middle of a create leaves exactly one container', async (t) => {
  const fleet = await startFleet(t);
  const { agent } = await fleet.joinAgent('e2e-killed');
  const { id } = await fleet.createBox(BOX);
  await agent.stop('SIGKILL');

  await startAgent(t, {
    url: fleet.controlPlane.url,
    hostName: 'e2e-killed',
    stateDir: agent.stateDir,
  });
  const running = await fleet.containerStatus(id, 'running');
  t.equal(running.status, 'running');
  t.equal((await engineContainers(fleet, id)).length, 1, 'exactly one container in the engine');
});

void t.test('a control plane restart keeps every container and its status', async (t) => {
  const fleet = await startFleet(t);
  const { hostId } = await fleet.joinAgent('e2e-cp-restart');
  const kept = await fleet.createBox(BOX);
  const halted = await fleet.createBox(BOX);
  await fleet.containerStatus(kept.id, 'running');
  await fleet.containerStatus(halted.id, 'running');
  t.equal((await fleet.api('POST', `/containers/${halted.id}/stop`)).status, 200);

  await fleet.restartControlPlane();
  await fleet.waitFor('the agent back online', async () => {
    const host = (await fleet.hosts()).find((h) => h.id === hostId);
    return host?.status === 'online' ? host : undefined;
  });
  t.equal((await fleet.apiAs(Container, 'GET', `/containers/${kept.id}`)).status, 'running');
  const stopped = await fleet.apiAs(Container, 'GET', `/containers/${halted.id}`);
  t.equal(stopped.status, 'stopped');
  t.equal(stopped.status_reason, 'user');
  t.equal((await engineContainers(fleet, kept.id)).length, 1, 'no duplicate after the restart');
});
