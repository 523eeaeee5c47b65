// Shared setup of the terminal suites: a busybox container on the real engine (removed at
// teardown), a terminal manager and connect loop in-process against the terminal peer, and an
// open helper that waits for AGENT_TERMINAL_OPENED. Helpers to see a container's processes check
// that shells really end inside the container, not only their exec clients.
import type { ControlTerminalOpen } from '@rexec/protocol';
import type { Test } from 'tap';
import type { TerminalConfig } from '../../../packages/agent/src/config.js';
import { createConnectLoop } from '../../../packages/agent/src/socket/connect-loop.js';
import type { ConnectLoop } from '../../../packages/agent/src/socket/connect-loop.js';
import { containerName } from '../../../packages/agent/src/runtime/index.js';
import type { ContainerRuntime, ContainerSpec } from '../../../packages/agent/src/runtime/index.js';
import { createTerminalManager } from '../../../packages/agent/src/terminal/index.js';
import type { TerminalManager } from '../../../packages/agent/src/terminal/index.js';
import { containerId } from '../agent-fixture.js';
import { busyboxSpec, engine, makeRuntime, testLogger } from '../runtime/fixture.js';
import type { EngineKind } from '../../helpers/engine.js';
import { startTerminalPeer } from './terminal-peer.js';
import type { Received, TerminalPeer, TerminalPeerConnection } from './terminal-peer.js';
import { sampleHello } from '../control-plane-peer.js';

export interface TerminalRig {
  kind: EngineKind;
  runtime: ContainerRuntime;
  peer: TerminalPeer;
  manager: TerminalManager;
  loop: ConnectLoop;
  connection: TerminalPeerConnection;
  /** Starts a busybox container that stays up; returns its Rexec id. */
  container(overrides?: Partial<ContainerSpec>): Promise<string>;
  open(
    connection: TerminalPeerConnection,
    fields: Partial<ControlTerminalOpen> & Pick<ControlTerminalOpen, 'channel' | 'container_id'>,
  ): Promise<Received<'AGENT_TERMINAL_OPENED'>>;
  /** The command lines of the container's processes. */
  processes(containerId: string): Promise<string[]>;
}

let channels = 0;
export function nextChannel(): number {
  channels += 1;
  return channels;
}

export async function startRig(
  t: Test,
  config: Partial<TerminalConfig> = {},
): Promise<TerminalRig> {
  const { runtime, kind } = await makeRuntime(t);
  const peer = await startTerminalPeer(t);
  const manager = createTerminalManager({
    runtime,
    binary: kind,
    config: { graceMs: 60_000, scrollbackBytes: 256 * 1024, maxSessionsPerContainer: 8, ...config },
    log: testLogger(),
  });
  const loop = createConnectLoop({
    urls: [peer.url],
    credential: peer.credential,
    log: testLogger(),
    buildHello: () =>
      Promise.resolve(sampleHello('worker-terminal', { capabilities: ['terminal'] })),
    usage: () => Promise.resolve({ cpu_millicores: 10, memory_mb: 100, disk_mb: 1000 }),
    onCommand: () => undefined,
    onWelcome: () => undefined,
    terminals: manager,
    random: () => 0,
  });
  void loop.run();
  // Teardowns run in reverse: shells end before the loop stops and the containers go.
  t.teardown(async () => {
    await loop.stop();
    await manager.shutdown();
  });
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HELLO');
  return {
    kind,
    runtime,
    peer,
    manager,
    loop,
    connection,
    async container(overrides = {}) {
      const spec = busyboxSpec({
        containerId: containerId(),
        command: ['sleep', '86400'],
        ...overrides,
      });
      await runtime.createAndStart(spec);
      return spec.containerId;
    },
    async open(on, fields) {
      on.send({
        type: 'CONTROL_TERMINAL_OPEN',
        session: 'main',
        cols: 80,
        rows: 24,
        output_window_bytes: 256 * 1024,
        ...fields,
      });
      return on.next('AGENT_TERMINAL_OPENED', (message) => message.channel === fields.channel);
    },
    async processes(id) {
      const out = await engine(kind, ['exec', containerName(id), 'ps', '-o', 'args']);
      return out.stdout
        .split('\n')
        .slice(1)
        .filter((line) => line.trim() !== '');
    },
  };
}
