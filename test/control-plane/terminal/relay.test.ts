// The terminal relay over real sockets: a real control plane (hub, relay, REST) on Postgres, a real
// `ws` terminal client, and a scripted agent peer (../hub/agent-peer.ts) standing for the agent;
// the end-to-end suite (test/e2e/terminal.test.ts) runs the real agent. Covers the handshake,
// both auth carriers, byte relaying, every way a terminal ends and the refusals before upgrade.
import { CloseCode, TERMINAL_WINDOW_BYTES } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { call, newUser } from '../http/server.js';
import { observed } from '../hub/agent-peer.js';
import { eventually, onlinePeer, startHubServer } from '../hub/hub-server.js';
import { TerminalClient, TerminalRefused } from './terminal-client.js';
import { rejectionOf } from '../../helpers/net.js';
import { runningContainer, openTerminal, OutputPump } from './relay-fixture.js';

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, TerminalRefused);

void t.test('terminal relay', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'term-host');
  const alice = await newUser(server, 'alice');
  const box = await runningContainer(server, peer, alice.token, 'box');

  void t.test('header auth: OPEN, ready first, bytes both ways, resize, ping', async (t) => {
    const client = await TerminalClient.connect(server.url, box, {
      token: alice.token,
      session: 'work',
      cols: 120,
      rows: 40,
    });
    t.equal(client.ws.protocol, '', 'no subprotocol was offered, none is answered');
    const open = await peer.next('CONTROL_TERMINAL_OPEN');
    t.match(open, {
      container_id: box,
      session: 'work',
      cols: 120,
      rows: 40,
      output_window_bytes: TERMINAL_WINDOW_BYTES,
    });
    t.ok(open.channel >= 1);
    t.notOk(open.shell, 'the agent picks the shell');
    peer.sendData(open.channel, Buffer.from('early'));
    peer.send({
      type: 'AGENT_TERMINAL_OPENED',
      channel: open.channel,
      session: 'work',
      resumed: true,
      input_window_bytes: 4096,
    });
    peer.sendData(open.channel, Buffer.from('scrollback\r\n$ '));
    t.same(await client.next('ready'), { type: 'ready', session: 'work', resumed: true });
    await client.outputMatching(/\$ $/);
    t.equal(client.text, 'scrollback\r\n$ ', 'output before OPENED is dropped, then raw bytes');
    client.type('echo $((6*7))\n');
    t.equal(
      (await peer.inputUntil(open.channel, (b) => b.length >= 14)).toString(),
      'echo $((6*7))\n',
    );
    client.control({ type: 'resize', cols: 100, rows: 30 });
    t.match(await peer.next('CONTROL_TERMINAL_RESIZE'), {
      channel: open.channel,
      cols: 100,
      rows: 30,
    });
    client.control({ type: 'ping' });
    t.same(await client.next('pong'), { type: 'pong' });
    await client.close();
    t.match(await peer.next('CONTROL_TERMINAL_CLOSE'), { channel: open.channel, mode: 'detach' });
  });

  void t.test('subprotocol auth by name; the answer is never the token', async (t) => {
    const { client, open } = await openTerminal(server, peer, 'box', alice.token, {
      auth: 'subprotocol',
    });
    t.equal(client.ws.protocol, 'rexec.terminal.v1');
    t.equal(open.container_id, box, 'the name resolved to the caller’s container');
    t.match(open, { session: 'main', cols: 80, rows: 24 }, 'defaults');
    await client.close();
    await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === open.channel);
  });

  void t.test('channel ids are fresh for every terminal on a session', async (t) => {
    const first = await openTerminal(server, peer, box, alice.token, { session: 'a' });
    const second = await openTerminal(server, peer, box, alice.token, { session: 'b' });
    t.ok(second.open.channel > first.open.channel);
    await first.client.close();
    const third = await openTerminal(server, peer, box, alice.token, { session: 'a' });
    t.ok(third.open.channel > second.open.channel, 'a closed channel is not reused');
    await second.client.close();
    await third.client.close();
  });

  void t.test('EXIT sends exit then closes SHELL_EXITED', async (t) => {
    const { client, open } = await openTerminal(server, peer, box, alice.token);
    peer.send({ type: 'AGENT_TERMINAL_EXIT', channel: open.channel, exit_code: 3 });
    t.same(await client.next('exit'), { type: 'exit', code: 3 });
    t.match(await client.closed, { code: CloseCode.SHELL_EXITED, reason: 'shell_exited' });
  });

  void t.test('agent errors become an error frame and their named close', async (t) => {
    const channels: number[] = [];
    for (const [code, close] of [
      ['too_many_sessions', CloseCode.TOO_MANY_SESSIONS],
      ['session_replaced', CloseCode.REPLACED],
      ['shell_not_found', CloseCode.TERMINAL_FAILED],
      ['some_future_code', CloseCode.TERMINAL_FAILED],
    ] as const) {
      const client = await TerminalClient.connect(server.url, box, { token: alice.token });
      const open = await peer.next('CONTROL_TERMINAL_OPEN');
      channels.push(open.channel);
      peer.send({ type: 'AGENT_TERMINAL_ERROR', channel: open.channel, code, message: 'nope' });
      t.same(await client.next('error'), { type: 'error', code, message: 'nope' });
      t.equal((await client.closed).code, close, code);
    }
    const closes = peer.received.filter(
      (m) => m.type === 'CONTROL_TERMINAL_CLOSE' && channels.includes(m.channel),
    );
    t.equal(closes.length, 0, 'a channel the agent ended is not closed again');
  });

  void t.test('malformed control frames get invalid_frame and close 4001', async (t) => {
    const bad = [
      'not json',
      JSON.stringify({ type: 'resize', cols: 0, rows: 24 }),
      JSON.stringify({ type: 'shout' }),
      JSON.stringify({ type: 'ping', pad: 'x'.repeat(5000) }),
    ];
    for (const text of bad) {
      const { client, open } = await openTerminal(server, peer, box, alice.token);
      client.ws.send(text);
      const error = await client.next('error');
      t.equal(error.code, 'invalid_frame', text.slice(0, 30));
      t.equal((await client.closed).code, CloseCode.PROTOCOL_VIOLATION);
      t.match(await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === open.channel), {
        mode: 'detach',
      });
    }
    const { client } = await openTerminal(server, peer, box, alice.token);
    client.control({ type: 'ping' });
    await client.next('pong');
    await client.close();
  });

  void t.test('input waits for the agent’s credit, in chunks within the limit', async (t) => {
    const { client, open } = await openTerminal(server, peer, box, alice.token, {
      inputWindow: 1024,
    });
    const paste = Buffer.alloc(200_000, 'x');
    client.type(paste);
    await peer.inputUntil(open.channel, (b) => b.length >= 1024);
    // The paste is one frame, drained at once: any byte beyond the window would leave in that same
    // drain, ahead of the output credit this echo earns on the same agent socket.
    peer.sendData(open.channel, Buffer.from('!'));
    await peer.next('CONTROL_TERMINAL_CREDIT', (m) => m.channel === open.channel, 30_000);
    t.equal(peer.input.get(open.channel)?.length, 1024, 'no more than the window');
    peer.send({ type: 'AGENT_TERMINAL_CREDIT', channel: open.channel, bytes: 150_000 });
    await peer.inputUntil(open.channel, (b) => b.length >= 151_024);
    peer.send({ type: 'AGENT_TERMINAL_CREDIT', channel: open.channel, bytes: 100_000 });
    const all = await peer.inputUntil(open.channel, (b) => b.length >= 200_000);
    t.ok(all.equals(paste), 'every byte, in order');
    t.ok(Math.max(...peer.inputFrameBytes) <= 65_536);
    await client.close();
  });

  void t.test('output credit is granted as the client takes bytes, and only then', async (t) => {
    const { client, open } = await openTerminal(server, peer, box, alice.token);
    const agent = new OutputPump(peer, open.channel);
    // Stop reading the client: kernel buffers fill, ws send callbacks stall, credit stops.
    client.ws.pause();
    await agent.pump(256 * 1024 * 1024);
    t.ok(agent.sent < 256 * 1024 * 1024, `a paused reader stalls the agent (${agent.sent} bytes)`);
    client.ws.resume();
    const total = agent.sent + 16 * 65_536;
    await eventually(async () => {
      await agent.pump(total);
      return client.outputBytes >= total;
    }, 20_000);
    t.equal(client.outputBytes, total, 'every byte arrived once');
    await client.close();
  });

  void t.test('a paused client still reads, but no credit goes out until it resumes', async (t) => {
    const { client, open } = await openTerminal(server, peer, box, alice.token);
    const agent = new OutputPump(peer, open.channel);
    client.control({ type: 'pause' });
    // Frames are handled in order: the pong says the pause was taken.
    client.control({ type: 'ping' });
    await client.next('pong');
    await agent.pump(256 * 1024 * 1024);
    t.equal(agent.credits(), 0, 'no credit while paused');
    t.ok(agent.sent <= TERMINAL_WINDOW_BYTES, `the agent stops within its window (${agent.sent})`);
    await eventually(() => Promise.resolve(client.outputBytes >= agent.sent), 20_000);
    t.equal(client.outputBytes, agent.sent, 'what the agent sent still reaches the client');
    client.control({ type: 'pause' });
    client.control({ type: 'resume' });
    const total = agent.sent + 16 * 65_536;
    await eventually(async () => {
      await agent.pump(total);
      return client.outputBytes >= total;
    }, 20_000);
    t.equal(client.outputBytes, total, 'resumed, the rest arrives once');
    await client.close();
  });

  void t.test('output beyond the window ends the terminal', async (t) => {
    const { client, open } = await openTerminal(server, peer, box, alice.token);
    const agent = new OutputPump(peer, open.channel);
    client.ws.pause();
    await agent.pump(256 * 1024 * 1024);
    for (let i = 0; i <= TERMINAL_WINDOW_BYTES / 65_536; i++) agent.send();
    t.match(await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === open.channel), {
      mode: 'terminate',
    });
    client.ws.terminate();
  });

  void t.test('a stop through the API closes the container’s terminals with 4101', async (t) => {
    const other = await runningContainer(server, peer, alice.token);
    const first = await openTerminal(server, peer, other, alice.token, { session: 'one' });
    const second = await openTerminal(server, peer, other, alice.token, { session: 'two' });
    const stopping = call(server, 'POST', `/api/v1/containers/${other}/stop`, {
      token: alice.token,
    });
    const stop = await peer.command((c) => c.container_id === other);
    // The PTY may die before the agent names the stop: still a stopped container to the user.
    peer.send({ type: 'AGENT_TERMINAL_EXIT', channel: first.open.channel, exit_code: 137 });
    t.match(await first.client.next('error'), { code: 'container_stopped' });
    t.equal((await first.client.closed).code, CloseCode.CONTAINER_STOPPED);
    peer.succeed(stop, 'exited');
    t.equal((await stopping).status, 200);
    t.match(await second.client.next('error'), { code: 'container_stopped' });
    t.equal((await second.client.closed).code, CloseCode.CONTAINER_STOPPED);
    t.match(await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === second.open.channel), {
      mode: 'terminate',
    });
    const refused = await refusal(
      TerminalClient.connect(server.url, other, { token: alice.token }),
    );
    t.equal(refused.status, 409);
    t.match(refused.body, { code: 'invalid_state' });
  });

  void t.test('refusals before the upgrade are ordinary JSON errors', async (t) => {
    const bob = await newUser(server, 'bob');
    const cases: [string, () => Promise<unknown>, number, string][] = [
      [
        'no token',
        () => TerminalClient.connect(server.url, box, { token: '' }),
        401,
        'unauthorized',
      ],
      [
        'wrong token',
        () => TerminalClient.connect(server.url, box, { token: `rexec_${'0'.repeat(64)}` }),
        401,
        'unauthorized',
      ],
      [
        'wrong subprotocol token',
        () => TerminalClient.connect(server.url, box, { token: 'nope', auth: 'subprotocol' }),
        401,
        'unauthorized',
      ],
      [
        'another user’s container',
        () => TerminalClient.connect(server.url, box, { token: bob.token }),
        404,
        'not_found',
      ],
      [
        'another user’s name',
        () => TerminalClient.connect(server.url, 'box', { token: bob.token }),
        404,
        'not_found',
      ],
      [
        'unknown id',
        () => TerminalClient.connect(server.url, `ctr_${'f'.repeat(32)}`, { token: alice.token }),
        404,
        'not_found',
      ],
      [
        'bad query',
        () => TerminalClient.connect(server.url, box, { token: alice.token, query: 'cols=0' }),
        400,
        'invalid_request',
      ],
      [
        'bad session id',
        () =>
          TerminalClient.connect(server.url, box, { token: alice.token, query: 'session=a%20b' }),
        400,
        'invalid_request',
      ],
    ];
    for (const [what, attempt, status, code] of cases) {
      const refused = await refusal(attempt());
      t.equal(refused.status, status, what);
      t.match(refused.body, { code }, what);
    }
    const plain = await call(server, 'GET', `/api/v1/containers/${box}/terminal`, {
      token: alice.token,
    });
    t.equal(plain.status, 400, 'a plain GET is told to upgrade');
    const nowhere = await refusal(
      TerminalClient.connect(server.url, 'x/y', { token: alice.token }),
    );
    t.equal(nowhere.status, 404, 'an unknown upgrade path');
  });

  void t.test('the operations rate limit applies, with Retry-After', async (t) => {
    const carol = await newUser(server, 'carol', 'pro');
    const carols = await runningContainer(server, peer, carol.token);
    await server.database.db.execute(sql`update tiers set rate_ops_per_min = 1 where name = 'pro'`);
    t.teardown(() =>
      server.database.db.execute(sql`update tiers set rate_ops_per_min = 10000 where name = 'pro'`),
    );
    // The window already holds carol's earlier operations on Postgres; at most one more fits.
    let refused: TerminalRefused | undefined;
    for (let attempt = 0; attempt < 3 && refused === undefined; attempt++) {
      try {
        const { client } = await openTerminal(server, peer, carols, carol.token);
        await client.close();
      } catch (error) {
        if (!(error instanceof TerminalRefused)) throw error;
        refused = error;
      }
    }
    t.equal(refused?.status, 429);
    t.match(refused?.body, { code: 'rate_limited' });
    t.match(refused?.headers['retry-after'], /^[0-9]+$/);
  });

  void t.test(
    "another host's exit report for the container leaves its terminals open",
    async (t) => {
      const mine = await runningContainer(server, peer, alice.token);
      const { client, open } = await openTerminal(server, peer, mine, alice.token);
      const { peer: rogue } = await onlinePeer(t, server, 'rogue-host');
      const report = (state: 'exited' | 'missing') => ({
        type: 'AGENT_CONTAINER_STATUS' as const,
        container: observed(mine, state),
        reason: state === 'missing' ? 'removed' : 'exited',
        at: new Date().toISOString(),
      });
      rogue.send(report('exited'));
      rogue.send(report('missing'));
      // The status reports are handled in order with the heartbeat ACK that follows them.
      rogue.heartbeat(1);
      await rogue.next('CONTROL_HEARTBEAT_ACK');
      await rogue.close();
      peer.sendData(open.channel, Buffer.from('still here'));
      t.match(await client.outputMatching(/still here/), /still here/, 'the terminal still relays');
      const shown = await call(server, 'GET', `/api/v1/containers/${mine}`, { token: alice.token });
      t.match(shown.body, { status: 'running' }, 'and the container is still running');
      peer.send(report('exited'));
      t.match(await client.next('error'), { code: 'container_stopped' });
      t.equal((await client.closed).code, CloseCode.CONTAINER_STOPPED, 'its own host is believed');
    },
  );

  void t.test('a lost agent session ends its terminals with session_lost', async (t) => {
    const { client } = await openTerminal(server, peer, box, alice.token);
    peer.ws.terminate();
    t.match(await client.next('error'), { code: 'session_lost' });
    t.equal((await client.closed).code, CloseCode.SESSION_LOST);
    const refused = await refusal(TerminalClient.connect(server.url, box, { token: alice.token }));
    t.equal(refused.status, 503);
    t.match(refused.body, { code: 'host_unavailable' });
  });
});

void t.test('an undecodable binary frame from an agent is a protocol violation', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'rogue');
  peer.ws.send(Buffer.from([0x01, 0x00, 0x00]), { binary: true });
  t.equal((await peer.closed).code, CloseCode.PROTOCOL_VIOLATION, 'truncated header');
  const { peer: second } = await onlinePeer(t, server, 'rogue-2');
  second.ws.send(Buffer.from([0x09, 0x00, 0x00, 0x00, 0x01, 0x41]), { binary: true });
  t.equal((await second.closed).code, CloseCode.PROTOCOL_VIOLATION, 'unknown kind');
  const { peer: third } = await onlinePeer(t, server, 'rogue-3');
  third.ws.send(Buffer.from([0x04, 0x00, 0x00, 0x00, 0x01, 0x41]), { binary: true });
  t.equal((await third.closed).code, CloseCode.PROTOCOL_VIOLATION, 'exec stdin from an agent');
});

void t.test('a client that stops answering pings is dropped, the shell kept', async (t) => {
  const server = await startHubServer(t, 'pg', {}, { pingIntervalMs: 200 });
  const { peer } = await onlinePeer(t, server, 'ping-host');
  const alice = await newUser(server, 'alice');
  const box = await runningContainer(server, peer, alice.token);
  const { client, open } = await openTerminal(server, peer, box, alice.token);
  client.ws.pause();
  const close = await peer.next('CONTROL_TERMINAL_CLOSE', (m) => m.channel === open.channel, 5_000);
  t.equal(close.mode, 'detach');
  client.ws.terminate();
});
