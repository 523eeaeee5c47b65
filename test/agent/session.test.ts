// The connection loop and session in-process against the scripted control plane peer (port 0):
// the agent-side silence timeout (close 4007, then a reconnect), a message before WELCOME closes
// with 4001, and stop() before any WELCOME ends the loop. HELLO here is a hand-built valid message:
// these tests are about the socket rules, not inventory (daemon.test.ts covers that). Terminal
// frames without a terminal manager are refused; terminals themselves are test/agent/terminal/.
// Heartbeats carry per-container usage: all of it on the first beat, then only what changed.
import { encodeChannelFrame } from '@rexec/protocol';
import type { ContainerUsage } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import { createConnectLoop } from '../../packages/agent/src/socket/connect-loop.js';
import { containerId, createCommand } from './agent-fixture.js';
import { startPeer } from './control-plane-peer.js';
import type { ControlPlanePeer } from './control-plane-peer.js';
import { sampleHello } from './control-plane-peer.js';

function loopFor(
  peer: ControlPlanePeer,
  onCommand: () => void = () => undefined,
  containerUsage?: () => readonly ContainerUsage[],
) {
  return createConnectLoop({
    ...(containerUsage === undefined ? {} : { containerUsage }),
    urls: [new URL(peer.url)],
    credential: peer.credential,
    log: pino({ level: 'silent' }),
    buildHello: () => Promise.resolve(sampleHello('worker-session')),
    usage: () => Promise.resolve({ cpu_millicores: 10, memory_mb: 100, disk_mb: 1000 }),
    onCommand,
    onWelcome: () => undefined,
  });
}

void t.test('a silent control plane is given up with 4007 and the agent reconnects', async (t) => {
  const peer = await startPeer(t, {
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 1_500,
    ackHeartbeats: false,
  });
  const loop = loopFor(peer);
  const running = loop.run();
  t.teardown(() => loop.stop());
  const first = await peer.nextConnection();
  await first.next('AGENT_HEARTBEAT');
  const closed = await first.closed;
  t.equal(closed.code, 4007, 'closed with HEARTBEAT_TIMEOUT');
  const second = await peer.nextConnection(10_000);
  await second.next('AGENT_HELLO');
  await loop.stop();
  t.same(await running, { kind: 'stopped' });
  t.equal((await second.closed).code, 4009);
});

void t.test('a command before WELCOME is a protocol violation (4001)', async (t) => {
  const peer = await startPeer(t, { autoWelcome: false });
  let commands = 0;
  const loop = loopFor(peer, () => (commands += 1));
  void loop.run();
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HELLO');
  connection.send(createCommand(containerId()));
  const closed = await connection.closed;
  t.equal(closed.code, 4001);
  t.match(closed.reason, /CONTROL_COMMAND before CONTROL_WELCOME/);
  t.equal(commands, 0, 'the command was not executed');
});

void t.test('an undecodable message closes with 4001 naming the problem', async (t) => {
  const peer = await startPeer(t);
  const loop = loopFor(peer);
  void loop.run();
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HELLO');
  connection.socket.send(JSON.stringify({ type: 'CONTROL_SURPRISE' }));
  const closed = await connection.closed;
  t.equal(closed.code, 4001);
  t.match(closed.reason, /unknown type "CONTROL_SURPRISE"/);
});

void t.test('HELLO is built before the socket opens, and a failed build retries', async (t) => {
  // A slow `podman info` or inventory must not spend the handshake time either side allows a socket.
  const peer = await startPeer(t);
  const openWhileBuilding: number[] = [];
  let builds = 0;
  const loop = createConnectLoop({
    urls: [new URL(peer.url)],
    credential: peer.credential,
    log: pino({ level: 'silent' }),
    buildHello: () => {
      builds += 1;
      openWhileBuilding.push(peer.connections.length);
      return builds === 1
        ? Promise.reject(new Error('engine not answering'))
        : Promise.resolve(sampleHello('worker-session'));
    },
    usage: () => Promise.resolve({ cpu_millicores: 10, memory_mb: 100, disk_mb: 1000 }),
    onCommand: () => undefined,
    onWelcome: () => undefined,
    random: () => 0,
  });
  void loop.run();
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection(30_000);
  const hello = await connection.next('AGENT_HELLO');
  t.equal(hello.host_name, 'worker-session');
  t.same(
    openWhileBuilding,
    [0, 0],
    'no socket was open during either build, the failed one made none',
  );
});

void t.test('stop() while waiting to reconnect ends the loop at once', async (t) => {
  // Nothing listens on port 9 (discard): every dial fails and the loop waits to retry.
  const loop = createConnectLoop({
    urls: [new URL('http://127.0.0.1:9')],
    credential: 'cred_never_used_000000',
    log: pino({ level: 'silent' }),
    buildHello: () => Promise.resolve(sampleHello('worker-session')),
    usage: () => Promise.resolve({ cpu_millicores: 0, memory_mb: 0, disk_mb: 0 }),
    onCommand: () => undefined,
    onWelcome: () => undefined,
    random: () => 0,
  });
  const running = loop.run();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await loop.stop();
  t.same(await running, { kind: 'stopped' });
});

void t.test(
  'without a terminal manager an open is refused, and bad frames close 4001',
  async (t) => {
    const peer = await startPeer(t);
    const loop = loopFor(peer);
    void loop.run();
    t.teardown(() => loop.stop());
    const connection = await peer.nextConnection();
    await connection.next('AGENT_HELLO');
    connection.send({
      type: 'CONTROL_TERMINAL_OPEN',
      channel: 7,
      container_id: containerId(),
      session: 'main',
      cols: 80,
      rows: 24,
      output_window_bytes: 65_536,
    });
    const refused = await connection.next('AGENT_TERMINAL_ERROR');
    t.same([refused.channel, refused.code], [7, 'exec_failed']);
    // Input for a channel that does not exist is dropped; a frame with channel 0 is a violation.
    connection.socket.send(encodeChannelFrame(9, Buffer.from('ls\r')), { binary: true });
    connection.socket.send(Buffer.from([1, 0, 0, 0, 0, 0x41]), { binary: true });
    const closed = await connection.closed;
    t.equal(closed.code, 4001);
    t.match(closed.reason, /bad binary frame: .*channel 0 is reserved/);
  },
);

void t.test(
  'heartbeats carry every container usage first, then only the changed ones, again on reconnect',
  async (t) => {
    const peer = await startPeer(t, { heartbeatIntervalMs: 500 });
    const [a, b] = [containerId(), containerId()];
    let latest: ContainerUsage[] = [
      { container_id: a, disk_mb: 10 },
      { container_id: b, disk_mb: 20 },
    ];
    const loop = loopFor(peer, undefined, () => latest);
    void loop.run();
    t.teardown(() => loop.stop());
    const connection = await peer.nextConnection();
    const first = await connection.next('AGENT_HEARTBEAT', (beat) => beat.seq === 0);
    t.same(first.containers, latest, 'the first beat of a connection carries every container');
    const quiet = await connection.next('AGENT_HEARTBEAT', (beat) => beat.seq === 1);
    t.equal(quiet.containers, undefined, 'nothing changed: no containers field at all');
    latest = [
      { container_id: a, disk_mb: 10 },
      { container_id: b, disk_mb: 75 },
    ];
    const changed = await connection.next(
      'AGENT_HEARTBEAT',
      (beat) => beat.seq > 1 && beat.containers !== undefined,
    );
    t.same(changed.containers, [{ container_id: b, disk_mb: 75 }], 'only the changed container');

    // A new connection may face a control plane that knows nothing: everything again.
    connection.socket.close(4008, 'server shutting down');
    const second = await peer.nextConnection(10_000);
    const again = await second.next('AGENT_HEARTBEAT', (beat) => beat.seq === 0);
    t.same(again.containers, latest);
  },
);

void t.test('without container usage, heartbeats have no containers field', async (t) => {
  const peer = await startPeer(t, { heartbeatIntervalMs: 500 });
  const loop = loopFor(peer);
  void loop.run();
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection();
  const beat = await connection.next('AGENT_HEARTBEAT');
  t.equal(beat.containers, undefined);
  t.same(beat.usage, { cpu_millicores: 10, memory_mb: 100, disk_mb: 1000 });
});

// The clock is the global timer API, watched rather than waited on: a loaded machine may deliver
// beats late, but the period the agent asked for is exactly the one WELCOME named.
void t.test('heartbeats follow the interval WELCOME asks for, not the default', async (t) => {
  const asked: number[] = [];
  const real = globalThis.setInterval;
  globalThis.setInterval = ((handler: () => void, ms?: number, ...rest: unknown[]) => {
    asked.push(ms ?? 0);
    return real(handler, ms, ...rest);
  }) as typeof setInterval;
  t.teardown(() => {
    globalThis.setInterval = real;
  });
  const peer = await startPeer(t, { heartbeatIntervalMs: 777 });
  const loop = loopFor(peer);
  void loop.run();
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HEARTBEAT');
  t.ok(asked.includes(777), `a 777 ms heartbeat timer (asked: ${asked.join(', ')})`);
  t.notOk(asked.includes(3_000), 'no timer at the default 3000 ms');
});
