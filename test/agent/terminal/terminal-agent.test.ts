// The terminal wiring of the real agent process (main.ts): HELLO announces `terminal`, a shell
// opened through the agent socket works, a stopped container ends its shell with
// container_stopped, and SIGTERM kills every shell inside its container before the agent exits 0.
// The agent starts from a stored credential, so no enrollment is involved.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createCliRuntime, containerName } from '../../../packages/agent/src/runtime/index.js';
import { writeState } from '../../../packages/agent/src/state.js';
import { startAgent } from '../../helpers/processes.js';
import { containerId, engineFor } from '../agent-fixture.js';
import { busyboxSpec, engine, testLogger } from '../runtime/fixture.js';
import { nextChannel } from './terminal-fixture.js';
import { startTerminalPeer } from './terminal-peer.js';

void t.test('the agent process serves terminals and kills them on SIGTERM', async (t) => {
  const peer = await startTerminalPeer(t);
  const kind = await engineFor(t, peer.hostId);
  const runtime = createCliRuntime({ kind, hostId: peer.hostId, log: testLogger() });
  const stateDir = await mkdtemp(join(tmpdir(), 'rexec-terminal-agent-'));
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  await writeState(stateDir, {
    host_id: peer.hostId,
    host_name: 'worker-terminal',
    credential: peer.credential,
  });
  const first = busyboxSpec({ containerId: containerId(), command: ['sleep', '86400'] });
  const second = busyboxSpec({ containerId: containerId(), command: ['sleep', '86400'] });
  await Promise.all([runtime.createAndStart(first), runtime.createAndStart(second)]);
  const agent = await startAgent(t, {
    url: peer.url.href,
    hostName: 'worker-terminal',
    stateDir,
    env: { REXEC_RUNTIME: kind, REXEC_TERMINAL_GRACE_SECONDS: '600' },
  });
  const connection = await peer.nextConnection();
  const hello = await connection.next('AGENT_HELLO');
  t.same(hello.capabilities, [
    'terminal',
    'exec',
    'files',
    'disk_monitor',
    'result_ack',
    'inventory',
  ]);

  const open = (channel: number, id: string, session = 'main') => {
    connection.send({
      type: 'CONTROL_TERMINAL_OPEN',
      channel,
      container_id: id,
      session,
      cols: 80,
      rows: 24,
      output_window_bytes: 65_536,
    });
    return connection.next('AGENT_TERMINAL_OPENED', (m) => m.channel === channel);
  };

  const doomed = nextChannel();
  await open(doomed, first.containerId);
  connection.type(doomed, 'echo $((6*7))\r');
  await connection.waitOutput(doomed, /\r\n42\r\n/);
  await engine(kind, ['stop', '--time', '0', containerName(first.containerId)]);
  const stopped = await connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === doomed);
  t.equal(stopped.code, 'container_stopped');

  await open(nextChannel(), second.containerId, 'one');
  const detached = nextChannel();
  await open(detached, second.containerId, 'two');
  connection.send({ type: 'CONTROL_TERMINAL_CLOSE', channel: detached, mode: 'detach' });
  const shells = async () =>
    (await engine(kind, ['exec', containerName(second.containerId), 'ps', '-o', 'args'])).stdout
      .split('\n')
      .filter((line) => line.trim() === '/bin/sh').length;
  // OPENED follows the exec client's start; the shell itself appears in the container a bit later.
  await waitFor(async () => (await shells()) === 2, 'an attached and a detached shell');
  t.equal(await agent.stop('SIGTERM'), 0, 'the agent exits 0');
  // The kill was sent before the exit; the engine may take a moment to reap.
  await waitFor(async () => (await shells()) === 0, 'no shell outliving the agent');
  t.pass('no shell outlives the agent');
});

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
