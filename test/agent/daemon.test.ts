// The rexec-agent process end to end against a scripted control plane peer on port 0 (see
// control-plane-peer.ts, which scripts exact and out-of-order messages) and the real engine:
// enrollment and its 0600 state, HELLO contents, heartbeats, reconnects, fatal closes and exits,
// commands on real containers, outside kills reported, and a clean SIGTERM.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createCliRuntime } from '../../packages/agent/src/runtime/cli-runtime.js';
import { hostResources } from '../../packages/agent/src/doctor/leftovers.js';
import { pino } from 'pino';
import { engine, BUSYBOX_IMAGE, removeTestHost, requireEngine } from '../helpers/engine.js';
import { startAgent } from '../helpers/processes.js';
import {
  commandId,
  containerId,
  createCommand,
  engineFor,
  engineState,
  logLines,
  runAgentToExit,
  startPeerAndAgent,
  waitForCommandLog,
} from './agent-fixture.js';
import { startPeer } from './control-plane-peer.js';

// Each test starts agents and containers; on a loaded machine the file outlasts tap's 300 s.
t.setTimeout(900_000);

void t.test(
  'enrolls once, stores the credential 0600, and restarts without a join token',
  async (t) => {
    const { peer, kind, agent: first } = await startPeerAndAgent(t, 'worker-enroll');
    t.equal(first.ready['host_id'], peer.hostId, 'connected line names the host id');
    t.same(peer.enrollments, [
      { host_name: 'worker-enroll', agent_version: '0.1.0', protocol_version: 1 },
    ]);
    const file = join(first.stateDir, 'agent-state.json');
    t.equal((await stat(file)).mode & 0o777, 0o600, 'state file is 0600');
    t.same(JSON.parse(await readFile(file, 'utf8')), {
      host_id: peer.hostId,
      host_name: 'worker-enroll',
      credential: peer.credential,
    });
    t.equal(await first.stop(), 0, 'SIGTERM exits 0');

    const second = await startAgent(t, {
      url: peer.url,
      hostName: 'worker-enroll',
      stateDir: first.stateDir,
      env: { REXEC_RUNTIME: kind },
    });
    t.equal(second.ready['host_id'], peer.hostId);
    t.equal(peer.enrollments.length, 1, 'no second enrollment');
    // A loaded machine may add reconnects of either process; the first and last HELLO are theirs.
    const hellos = peer.connections.map((c) => c.messages.find((m) => m.type === 'AGENT_HELLO'));
    t.ok(hellos.length >= 2, 'each process said HELLO');
    t.not(
      hellos[0]?.type === 'AGENT_HELLO' && hellos[0].instance_id,
      hellos.at(-1)?.type === 'AGENT_HELLO' && hellos.at(-1)?.instance_id,
      'a new process sends a new instance_id',
    );
  },
);

void t.test('a refused join token is fatal with a clear line', async (t) => {
  const peer = await startPeer(t);
  const stateDir = await mkdtemp(join(tmpdir(), 'rexec-agent-'));
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  const { code, output } = await runAgentToExit({
    REXEC_URL: peer.url,
    REXEC_JOIN_TOKEN: 'join_wrong_token',
    REXEC_AGENT_STATE_DIR: stateDir,
  });
  t.equal(code, 1);
  const fatal = logLines(output).find((line) => line['level'] === 60);
  t.equal(fatal?.['code'], 'enroll_refused');
  t.match(String(fatal?.['msg']), /refused REXEC_JOIN_TOKEN \(401/);
  t.equal(peer.enrollments.length, 0);
});

void t.test(
  'HELLO carries inventory and capacity overrides; heartbeats follow WELCOME',
  async (t) => {
    const peer = await startPeer(t, { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 60_000 });
    const kind = await engineFor(t, peer.hostId);
    const runtime = createCliRuntime({ kind, hostId: peer.hostId, log: pino({ level: 'warn' }) });
    const ours = containerId();
    await runtime.createAndStart({
      containerId: ours,
      userId: 'usr-test',
      image: BUSYBOX_IMAGE,
      cpuMillicores: 100,
      memoryMb: 32,
      pidsLimit: 50,
      command: ['sleep', '3600'],
    });
    // A container labelled for this host whose id is not a ctr_ id: skipped, not fatal. Its name
    // is this run's own, so one a killed run left behind cannot collide with it.
    await runtime.createAndStart({
      containerId: `corrupt-label-${randomBytes(4).toString('hex')}`,
      userId: 'usr-test',
      image: BUSYBOX_IMAGE,
      cpuMillicores: 100,
      memoryMb: 32,
      pidsLimit: 50,
      command: ['sleep', '3600'],
    });
    const agent = await startAgent(t, {
      url: peer.url,
      joinToken: peer.joinToken,
      hostName: 'worker-hello',
      env: {
        REXEC_RUNTIME: kind,
        REXEC_CAPACITY_CPU_MILLICORES: '1500',
        REXEC_CAPACITY_MEMORY_MB: '2048',
        REXEC_CAPACITY_DISK_MB: '4096',
      },
    });
    const connection = await peer.nextConnection();
    const hello = await connection.next('AGENT_HELLO');
    t.equal(connection.messages[0]?.type, 'AGENT_HELLO', 'HELLO is the first message');
    t.same(hello.capacity, { cpu_millicores: 1500, memory_mb: 2048, disk_mb: 4096 });
    t.equal(hello.runtime.kind, kind);
    t.equal(hello.host_name, 'worker-hello');
    t.same(
      hello.inventory.map((c) => [c.container_id, c.state]),
      [[ours, 'running']],
      'inventory has our container and skips the corrupt label',
    );
    t.match(agent.output(), /io\.rexec\.container-id is not a ctr_ id/);

    for (let seq = 0; seq < 5; seq += 1) {
      const beat = await connection.next('AGENT_HEARTBEAT', (m) => m.seq === seq);
      t.ok(beat.usage.memory_mb > 0, `heartbeat ${seq} carries memory usage`);
    }
    // The default interval is 3000 ms; WELCOME asked for 500 ms, and the agent follows it (the
    // timer itself is checked in session.test.ts, without measuring a loaded machine's clock).
    const connected = logLines(agent.output()).find((line) => line['msg'] === 'connected');
    t.equal(connected?.['heartbeat_interval_ms'], 500, "the agent took WELCOME's interval");
  },
);

void t.test(
  'close 4008 reconnects with a new HELLO; 4004 exits non-zero without retrying',
  async (t) => {
    const { peer, agent } = await startPeerAndAgent(t, 'worker-closes');
    const first = await peer.nextConnection();
    const firstHello = await first.next('AGENT_HELLO');
    first.socket.close(4008, 'replica going away');
    const second = await peer.nextConnection();
    const secondHello = await second.next('AGENT_HELLO');
    t.equal(secondHello.instance_id, firstHello.instance_id, 'same process, same instance_id');

    second.send({
      type: 'CONTROL_REFUSE',
      code: 'credential_revoked',
      message: 'Host revoked by admin.',
    });
    second.socket.close(4004, 'credential revoked');
    const exited = new Promise<number | null>((resolve) => agent.process.once('exit', resolve));
    const code = await exited;
    t.equal(code, 1, 'exits non-zero');
    const fatal = logLines(agent.output()).find((line) => line['level'] === 60);
    t.equal(fatal?.['code'], 'credential_revoked');
    t.match(String(fatal?.['msg']), /4004 CREDENTIAL_REVOKED.*Host revoked by admin/);
    t.equal(peer.connections.length, 2, 'no reconnect after 4004');
  },
);

void t.test('HTTP 401 on upgrade is fatal', async (t) => {
  const peer = await startPeer(t);
  // The agent installs its host guard and fills its pool of home volumes before it learns the
  // credential is refused.
  const kind = await requireEngine(t);
  t.teardown(() => removeTestHost(kind, peer.hostId));
  const stateDir = await mkdtemp(join(tmpdir(), 'rexec-agent-'));
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  await writeFile(
    join(stateDir, 'agent-state.json'),
    JSON.stringify({
      host_id: peer.hostId,
      host_name: 'worker-401',
      credential: `unknown_${randomBytes(12).toString('hex')}`,
    }),
    { mode: 0o600 },
  );
  const { code, output } = await runAgentToExit({
    REXEC_URL: peer.url,
    REXEC_AGENT_STATE_DIR: stateDir,
    REXEC_HOST_NAME: 'worker-401',
  });
  t.equal(code, 1);
  const fatal = logLines(output).find((line) => line['level'] === 60);
  t.equal(fatal?.['code'], 'unauthorized');
  t.match(String(fatal?.['msg']), /HTTP 401/);
  t.equal(peer.connections.length, 0);
  // The host id is done (joining again makes a new one): its guard and pool went with it.
  t.same(await hostResources({ kind, hostId: peer.hostId }), [], 'nothing of the host is left');
});

void t.test(
  'commands run on the engine, replays execute once, kills are reported, SIGTERM is clean',
  async (t) => {
    const { peer, kind, agent } = await startPeerAndAgent(t, 'worker-commands', {
      heartbeatIntervalMs: 1_000,
      // Generous: a reconnect on a loaded machine would move the agent to a connection not watched.
      heartbeatTimeoutMs: 60_000,
    });
    const connection = await peer.nextConnection();
    await connection.next('AGENT_HELLO');
    const id = containerId();
    const name = `rexec-${id}`;
    const create = createCommand(id);
    connection.send(create);
    connection.send(create); // replayed while the first is still running: attaches to it
    const result = await connection.next(
      'AGENT_COMMAND_RESULT',
      (m) => m.command_id === create.command_id,
      120_000,
    );
    t.equal(result.ok, true, JSON.stringify(result));
    t.equal(result.ok && result.container.state, 'running');
    const state = await engineState(kind, name);
    t.equal(state?.status, 'running');
    t.match(state?.labels, {
      'io.rexec.managed': 'true',
      'io.rexec.container-id': id,
      'io.rexec.host-id': peer.hostId,
      'io.rexec.user-id': `usr_${'a'.repeat(32)}`,
    });

    connection.send(create); // replayed after completion: answered from the cache
    const replay = await connection.next(
      'AGENT_COMMAND_RESULT',
      (m) => m.command_id === create.command_id && m.replayed === true,
    );
    t.equal(replay.ok, true);
    const results = connection.messages.filter(
      (m) => m.type === 'AGENT_COMMAND_RESULT' && m.command_id === create.command_id,
    );
    t.equal(results.length, 2, 'one result for the running replay, one for the cached replay');
    const executions = logLines(agent.output()).filter(
      (line) => line['msg'] === 'command finished' && line['commandId'] === create.command_id,
    );
    t.equal(executions.length, 1, 'executed once');
    const listed = await engine(kind, [
      'ps',
      '-aq',
      '--filter',
      `label=io.rexec.container-id=${id}`,
    ]);
    t.equal(listed.stdout.split('\n').filter((l) => l !== '').length, 1, 'exactly one container');

    await engine(kind, ['kill', name]);
    const status = await connection.next(
      'AGENT_CONTAINER_STATUS',
      (m) => m.container.container_id === id && m.reason === 'exited',
    );
    t.equal(status.container.state, 'exited');

    const start = {
      type: 'CONTROL_COMMAND' as const,
      command_id: commandId(),
      container_id: id,
      command: { action: 'start' as const },
    };
    connection.send(start);
    const started = await connection.next(
      'AGENT_COMMAND_RESULT',
      (m) => m.command_id === start.command_id,
      60_000,
    );
    t.equal(started.ok && started.container.state, 'running');

    t.equal(await agent.stop('SIGTERM'), 0, 'SIGTERM exits 0');
    const goodbye = await connection.next('AGENT_GOODBYE');
    t.equal(goodbye.reason, 'shutdown');
    t.equal((await connection.closed).code, 4009, 'closed with AGENT_SHUTTING_DOWN');
    t.equal((await engineState(kind, name))?.status, 'running', 'container keeps running');
  },
);

void t.test('SIGTERM finishes the command in flight before GOODBYE', async (t) => {
  // Draining waits for the create, which on a loaded machine can outlast the default 10 s grace
  // before the harness's SIGKILL; the test is about the order, not about speed.
  const { peer, kind, agent } = await startPeerAndAgent(
    t,
    'worker-drain',
    {},
    {
      stopGraceMs: 180_000,
    },
  );
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HELLO');
  const id = containerId();
  const create = createCommand(id);
  connection.send(create);
  // SIGTERM only once the agent has the create in hand (its own log line says so), never after a
  // guessed delay: a command arriving after SIGTERM is refused, which is another test's subject.
  await waitForCommandLog(agent, 'command started', create.command_id);
  t.equal(await agent.stop('SIGTERM'), 0, 'exits 0');
  const result = await connection.next(
    'AGENT_COMMAND_RESULT',
    (m) => m.command_id === create.command_id,
  );
  t.equal(result.ok && result.container.state, 'running', 'the create finished');
  const order = connection.messages.map((m) => m.type);
  t.ok(
    order.indexOf('AGENT_COMMAND_RESULT') < order.indexOf('AGENT_GOODBYE'),
    'result before GOODBYE',
  );
  t.equal((await connection.closed).code, 4009);
  t.equal((await engineState(kind, `rexec-${id}`))?.status, 'running', 'container keeps running');
});
