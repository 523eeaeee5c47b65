// The terminal client against a real WebSocket server on port 0 scripted to send what the control
// plane sends only in rare cases: an error frame and its close code, a malformed control frame,
// output before `ready`. The happy path against the real relay is in sdk-fleet.test.ts.
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, TERMINAL_SUBPROTOCOL } from '@rexec/protocol';
import { RexecClient } from '@rexec/sdk/node';

const TOKEN = `rexec_${'b'.repeat(64)}`;

interface Scripted {
  client: RexecClient;
  /** The next accepted socket with the request URL and Authorization header it came with. */
  next(): Promise<{ socket: WebSocket; url: string; authorization: string | undefined }>;
}

async function scriptedServer(t: Test): Promise<Scripted> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: () => TERMINAL_SUBPROTOCOL,
  });
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => {
    for (const socket of server.clients) socket.terminate();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return {
    client: new RexecClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN }),
    next: () =>
      new Promise((resolve) =>
        server.once('connection', (socket, request) =>
          resolve({ socket, url: request.url ?? '', authorization: request.headers.authorization }),
        ),
      ),
  };
}

void t.test('the connect URL, header and first frames follow PROTOCOL.md §10', async (t) => {
  const server = await scriptedServer(t);
  const accepted = server.next();
  const terminal = server.client.terminal.connect('my-box', {
    session: 's-1',
    cols: 100,
    rows: 30,
  });
  terminal.write('typed early\n');
  const { socket, url, authorization } = await accepted;
  t.equal(url, '/api/v1/containers/my-box/terminal?session=s-1&cols=100&rows=30');
  t.equal(authorization, `Bearer ${TOKEN}`);
  const received: string[] = [];
  socket.on('message', (data, isBinary) =>
    received.push(`${isBinary ? 'bin' : 'text'}:${Buffer.from(data as Buffer).toString()}`),
  );
  socket.send(Buffer.from('scrollback-before-ready'));
  socket.send(JSON.stringify({ type: 'ready', session: 's-1', resumed: true }));
  t.same(await terminal.ready, { session: 's-1', resumed: true });
  const chunks: string[] = [];
  terminal.onData((chunk) => chunks.push(Buffer.from(chunk).toString()));
  t.same(chunks, ['scrollback-before-ready'], 'output that came before a listener is held for it');
  terminal.resize(120, 40);
  terminal.pause();
  terminal.resume();
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(
    received,
    [
      'bin:typed early\n',
      'text:{"type":"resize","cols":120,"rows":40}',
      'text:{"type":"pause"}',
      'text:{"type":"resume"}',
    ],
    'input written before ready is sent after it; resize, pause and resume as control frames',
  );
  terminal.close();
  const end = await terminal.closed;
  t.equal(end.error, undefined);
});

void t.test('an error frame is reported with its code and ends the terminal', async (t) => {
  const server = await scriptedServer(t);
  const accepted = server.next();
  const terminal = server.client.terminal.connect('my-box');
  const errors: string[] = [];
  terminal.onError((error) => errors.push(error.code));
  const { socket } = await accepted;
  socket.send(JSON.stringify({ type: 'ready', session: 'main', resumed: false }));
  await terminal.ready;
  socket.send(
    JSON.stringify({ type: 'error', code: 'container_stopped', message: 'The container stopped.' }),
  );
  socket.close(CloseCode.CONTAINER_STOPPED, 'container stopped');
  const end = await terminal.closed;
  t.equal(end.closeCode, CloseCode.CONTAINER_STOPPED);
  t.equal(end.error?.code, 'container_stopped');
  t.equal(end.error?.message, 'The container stopped.');
  t.same(errors, ['container_stopped'], 'reported once');
});

void t.test('a close before ready rejects ready with the close named', async (t) => {
  const server = await scriptedServer(t);
  const accepted = server.next();
  const terminal = server.client.terminal.connect('my-box');
  const { socket } = await accepted;
  socket.close(CloseCode.TOO_MANY_SESSIONS, '');
  await t.rejects(terminal.ready, { code: 'terminal_error', message: /TOO_MANY_SESSIONS/ });
});

void t.test('a malformed control frame is an invalid_response and closes the socket', async (t) => {
  const server = await scriptedServer(t);
  const accepted = server.next();
  const terminal = server.client.terminal.connect('my-box');
  const { socket } = await accepted;
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.send(JSON.stringify({ type: 'ready', session: 'main' }));
  await t.rejects(terminal.ready, { code: 'invalid_response', message: /resumed/ });
  t.equal(await closed, CloseCode.PROTOCOL_VIOLATION, 'the client closes with PROTOCOL_VIOLATION');
});
