// The chaos suite's severable proxy: it forwards both ways, a cut resets what is open and leaves
// new connections unanswered, and a restore forwards again.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { startTcpProxy } from './tcp-proxy.js';

async function echoServer(t: Test): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Resolves when the socket closes, however (events.once would reject on the reset's error). */
function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

async function echo(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [data] = (await once(socket, 'data')) as [Buffer];
  return data.toString();
}

void t.test('a cut resets open connections and holds new ones until restored', async (t) => {
  const proxy = await startTcpProxy(await echoServer(t));
  t.teardown(() => proxy.close());
  const before = await dial(proxy.port);
  t.equal(await echo(before, 'hello'), 'hello', 'forwards both ways');

  const beforeClosed = closed(before);
  proxy.cut();
  await beforeClosed;
  t.pass('the open connection was reset');

  const during = await dial(proxy.port);
  let answered = false;
  during.on('data', () => (answered = true));
  during.write('anyone?');
  const reset = closed(during);
  await new Promise((resolve) => setTimeout(resolve, 200));
  proxy.restore();
  await reset;
  t.notOk(answered, 'nothing came back while cut; the held connection was reset at restore');

  const after = await dial(proxy.port);
  t.equal(await echo(after, 'again'), 'again', 'forwards again after restore');
  after.destroy();
});
