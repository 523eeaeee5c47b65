// How terminal sessions end and how output is paced (PROTOCOL.md §9), on the real engine: a
// stopped container (at open, and under a running shell), terminate and agent shutdown killing the
// shell inside the container, the grace period after a detach, and credit-based flow control with
// megabytes of output counted to the byte.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { engine } from '../runtime/fixture.js';
import { containerName } from '../../../packages/agent/src/runtime/index.js';
import { nextChannel, startRig } from './terminal-fixture.js';

void t.test('a container that is not running cannot be opened', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  await rig.runtime.stop(id, 0);
  const channel = nextChannel();
  rig.connection.send({
    type: 'CONTROL_TERMINAL_OPEN',
    channel,
    container_id: id,
    session: 'main',
    cols: 80,
    rows: 24,
    output_window_bytes: 65_536,
  });
  const refused = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === channel);
  t.equal(refused.code, 'container_not_running');
});

void t.test('a container stopping under a shell ends it with container_stopped', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id });
  rig.connection.type(channel, 'echo up-$((2+3))\r');
  await rig.connection.waitOutput(channel, /up-5/);
  await rig.runtime.stop(id, 0);
  const ended = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === channel);
  t.equal(ended.code, 'container_stopped');
  t.notOk(
    rig.connection.messages.some((m) => m.type === 'AGENT_TERMINAL_EXIT' && m.channel === channel),
    'no exit is reported for it',
  );
  t.equal(rig.manager.sessionCount, 0);
});

void t.test('the engine event path ends shells at once with container_stopped', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id });
  rig.manager.containerStopped(id);
  const ended = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === channel);
  t.equal(ended.code, 'container_stopped');
});

void t.test('terminate and agent shutdown kill the shell inside the container', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id, session: 'doomed' });
  rig.connection.type(channel, 'sleep 4242 & echo started-$((1+1))\r');
  await rig.connection.waitOutput(channel, /started-2/);
  t.ok(
    (await rig.processes(id)).some((line) => line.includes('sleep 4242')),
    'the background job runs',
  );
  rig.connection.send({ type: 'CONTROL_TERMINAL_CLOSE', channel, mode: 'terminate' });
  await waitUntil(
    async () => !(await rig.processes(id)).some((l) => /sleep 4242|^\/bin\/sh$/.test(l.trim())),
  );
  t.equal(rig.manager.sessionCount, 0);

  for (const session of ['one', 'two']) {
    await rig.open(rig.connection, { channel: nextChannel(), container_id: id, session });
  }
  // OPENED follows the exec client's start; the shell itself appears in the container a bit later.
  const shells = async () => (await rig.processes(id)).filter((l) => l.trim() === '/bin/sh').length;
  await waitUntil(async () => (await shells()) === 2);
  await rig.manager.shutdown();
  t.equal(rig.manager.sessionCount, 0);
  await waitUntil(async () => (await shells()) === 0);
  const late = nextChannel();
  rig.connection.send({
    type: 'CONTROL_TERMINAL_OPEN',
    channel: late,
    container_id: id,
    session: 'late',
    cols: 80,
    rows: 24,
    output_window_bytes: 65_536,
  });
  const refused = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === late);
  t.match(refused.message, /shutting down/);
});

void t.test('a detached shell lives for the grace period, then dies', async (t) => {
  // Long enough that a busy machine cannot eat it between the detach and the check below; the
  // waits after it have ceilings well above it.
  const rig = await startRig(t, { graceMs: 8_000 });
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id, session: 'brief' });
  rig.connection.send({ type: 'CONTROL_TERMINAL_CLOSE', channel, mode: 'detach' });
  // The agent handles one socket's messages in order, so an open answered after the detach proves
  // the detach was handled (a count read right after the send would be read before it arrived).
  const second = nextChannel();
  const resumed = await rig.open(rig.connection, {
    channel: second,
    container_id: id,
    session: 'brief',
  });
  t.equal(resumed.resumed, true, 'kept while in grace: the detached session is resumed');
  rig.connection.send({ type: 'CONTROL_TERMINAL_CLOSE', channel: second, mode: 'detach' });
  await waitUntil(() => Promise.resolve(rig.manager.sessionCount === 0), 60_000);
  await waitUntil(async () => !(await rig.processes(id)).some((l) => l.trim() === '/bin/sh'));
  const reopened = await rig.open(rig.connection, {
    channel: nextChannel(),
    container_id: id,
    session: 'brief',
  });
  t.equal(reopened.resumed, false, 'after the grace the session starts afresh');
});

void t.test('output stays within the credit and resumes on credit, byte-exact', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  const windowBytes = 32 * 1024;
  const totalBytes = 4 * 1024 * 1024;
  await rig.open(rig.connection, {
    channel,
    container_id: id,
    output_window_bytes: windowBytes,
  });
  rig.connection.type(channel, 'echo ready-$((3*3))\r');
  await rig.connection.waitOutput(channel, /ready-9/);
  // Markers are assembled by the shell so the echoed command line never contains them.
  await engine(rig.kind, [
    'exec',
    containerName(id),
    'sh',
    '-c',
    `head -c ${totalBytes} /dev/zero | tr '\\000' x > /tmp/big`,
  ]);
  rig.connection.autoCredit = false;
  const before = rig.connection.outputBytes(channel);
  rig.connection.type(channel, "printf '%s%s\\n' BEG IN; cat /tmp/big; printf '\\n%s%s\\n' EN D\r");
  // Every byte before `before` was credited back, so the agent may send exactly one window more
  // (it cuts chunks to the credit) and must then stop: the window filling is the signal to wait
  // for, and a byte past it fails.
  await waitUntil(() =>
    Promise.resolve(rig.connection.outputBytes(channel) - before >= windowBytes),
  );
  const stalled = rig.connection.outputBytes(channel);
  t.equal(stalled - before, windowBytes, 'exactly the window arrived without more credit');

  // Grant what was used, then keep crediting as a reader would.
  rig.connection.autoCredit = true;
  rig.connection.send({ type: 'CONTROL_TERMINAL_CREDIT', channel, bytes: stalled - before });
  const output = await rig.connection.waitOutput(channel, /\r\nEND\r\n/, 120_000);
  const body = /BEGIN\r\n(x*)\r\nEND\r\n/.exec(output);
  t.equal(body?.[1]?.length, totalBytes, 'every byte arrived exactly once');
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(200);
  }
}
