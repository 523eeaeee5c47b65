// Terminal sessions on the agent against real podman/docker and a real agent socket (PROTOCOL.md
// §9): echo round trip, resize reaching `stty size`, resume after a dropped socket with scrollback
// and the same shell, a fresh shell per session id, session_replaced, the per-container limit and
// the shell's exit code, and the shell choice. Busybox has no bash, so most shells here are sh.
import t from 'tap';
import { DEBIAN_IMAGE } from '../../helpers/engine.js';
import { nextChannel, startRig } from './terminal-fixture.js';

void t.test('echo round trip in a shell started in the home directory', async (t) => {
  const rig = await startRig(t);
  const hello = await rig.connection.next('AGENT_HELLO');
  t.same(hello.capabilities, ['terminal']);
  const id = await rig.container({ homeDir: '/home/dev' });
  const channel = nextChannel();
  const opened = await rig.open(rig.connection, { channel, container_id: id });
  t.same(
    { session: opened.session, resumed: opened.resumed, window: opened.input_window_bytes },
    { session: 'main', resumed: false, window: 256 * 1024 },
  );
  rig.connection.type(channel, 'echo $((6*7)); pwd; echo $TERM\r');
  const output = await rig.connection.waitOutput(
    channel,
    /\r\n42\r\n\/home\/dev\r\nxterm-256color\r\n/,
  );
  t.match(output, /42/);
  const credits = rig.connection.messages.filter(
    (message) => message.type === 'AGENT_TERMINAL_CREDIT' && message.channel === channel,
  );
  t.ok(credits.length > 0, 'input is credited back');
});

void t.test('resize reaches the shell', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id, cols: 90, rows: 30 });
  rig.connection.type(channel, 'stty size\r');
  await rig.connection.waitOutput(channel, /\r\n30 90\r\n/);
  rig.connection.send({ type: 'CONTROL_TERMINAL_RESIZE', channel, cols: 132, rows: 43 });
  // The engine passes the new size on to the container's own terminal on its own schedule: ask
  // again until it shows.
  let output = '';
  for (let attempt = 0; !/\r\n43 132\r\n/.test(output); attempt++) {
    rig.connection.type(channel, 'stty size\r');
    output = await rig.connection
      .waitOutput(channel, /\r\n43 132\r\n/, 500)
      .catch((error: unknown) => {
        if (attempt >= 40) throw error;
        return '';
      });
  }
  t.ok(output.indexOf('30 90') < output.indexOf('43 132'), 'the new size after the old one');
});

void t.test('a dropped socket keeps the shell; the same session resumes it', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const first = nextChannel();
  await rig.open(rig.connection, { channel: first, container_id: id, session: 'work' });
  rig.connection.type(first, 'mkdir -p /tmp/deep && cd /tmp/deep && echo before-$((40+2))\r');
  await rig.connection.waitOutput(first, /before-42/);
  // The agent socket drops (a control plane restart): the shell must survive the reconnect.
  rig.connection.socket.terminate();
  const again = await rig.peer.nextConnection();
  await again.next('AGENT_HELLO');
  const second = nextChannel();
  const opened = await rig.open(again, { channel: second, container_id: id, session: 'work' });
  t.equal(opened.resumed, true);
  await again.waitOutput(second, /before-42/);
  again.type(second, 'pwd\r');
  await again.waitOutput(second, /\r\n\/tmp\/deep\r\n/);

  const fresh = nextChannel();
  const other = await rig.open(again, { channel: fresh, container_id: id, session: 'other' });
  t.equal(other.resumed, false, 'another session id is another shell');
  again.type(fresh, 'pwd\r');
  await again.waitOutput(fresh, /\r\n\/root\r\n/);
  t.notMatch(again.output(fresh), /before-42/, 'and has no scrollback of the first');
});

void t.test('opening an attached session moves it and tells the old channel', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const first = nextChannel();
  await rig.open(rig.connection, { channel: first, container_id: id });
  const second = nextChannel();
  const opened = await rig.open(rig.connection, { channel: second, container_id: id });
  t.equal(opened.resumed, true);
  const replaced = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === first);
  t.equal(replaced.code, 'session_replaced');
  rig.connection.type(first, 'echo lost\r');
  rig.connection.type(second, 'echo kept-$((1+1))\r');
  await rig.connection.waitOutput(second, /kept-2/);
  t.notMatch(rig.connection.output(second), /lost/, 'input for the old channel is dropped');
});

void t.test('the per-container session limit', async (t) => {
  const rig = await startRig(t, { maxSessionsPerContainer: 2 });
  const id = await rig.container();
  await rig.open(rig.connection, { channel: nextChannel(), container_id: id, session: 'a' });
  await rig.open(rig.connection, { channel: nextChannel(), container_id: id, session: 'b' });
  const third = nextChannel();
  rig.connection.send({
    type: 'CONTROL_TERMINAL_OPEN',
    channel: third,
    container_id: id,
    session: 'c',
    cols: 80,
    rows: 24,
    output_window_bytes: 65_536,
  });
  const refused = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === third);
  t.equal(refused.code, 'too_many_sessions');
  t.match(refused.message, /already has 2 terminal sessions/);
  const again = nextChannel();
  const resumed = await rig.open(rig.connection, {
    channel: again,
    container_id: id,
    session: 'a',
  });
  t.equal(resumed.resumed, true, 'an existing session can still be opened at the limit');
});

void t.test('the shell exit code ends the channel; a signal death is 128+n', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container();
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id });
  rig.connection.type(channel, 'echo bye-$((1+2)); exit 7\r');
  const exit = await rig.connection.next('AGENT_TERMINAL_EXIT', (m) => m.channel === channel);
  t.equal(exit.exit_code, 7);
  t.match(rig.connection.output(channel), /\r\nbye-3\r\n/, 'the last output came before the exit');
  t.equal(rig.manager.sessionCount, 0, 'the session is gone');

  const killed = nextChannel();
  await rig.open(rig.connection, { channel: killed, container_id: id });
  rig.connection.type(killed, 'kill -KILL $$\r');
  const death = await rig.connection.next('AGENT_TERMINAL_EXIT', (m) => m.channel === killed);
  t.equal(death.exit_code, 137);
});

void t.test('bash when the image has it; an explicit shell wins or is refused', async (t) => {
  const rig = await startRig(t);
  const id = await rig.container({ image: DEBIAN_IMAGE });
  const channel = nextChannel();
  await rig.open(rig.connection, { channel, container_id: id });
  rig.connection.type(channel, 'echo "shell=${BASH_VERSION:+bash}$0"\r');
  await rig.connection.waitOutput(channel, /shell=bash\/(usr\/)?bin\/bash\r\n/);

  const plain = nextChannel();
  await rig.open(rig.connection, {
    channel: plain,
    container_id: id,
    session: 'sh',
    shell: '/bin/sh',
  });
  rig.connection.type(plain, 'echo "shell=${BASH_VERSION:+bash}$0"\r');
  await rig.connection.waitOutput(plain, /shell=\/bin\/sh\r\n/);

  const missing = nextChannel();
  rig.connection.send({
    type: 'CONTROL_TERMINAL_OPEN',
    channel: missing,
    container_id: id,
    session: 'zsh',
    shell: '/bin/zsh',
    cols: 80,
    rows: 24,
    output_window_bytes: 65_536,
  });
  const refused = await rig.connection.next('AGENT_TERMINAL_ERROR', (m) => m.channel === missing);
  t.equal(refused.code, 'shell_not_found');
  t.equal(rig.manager.sessionCount, 2, 'the refused open left no session behind');
});
