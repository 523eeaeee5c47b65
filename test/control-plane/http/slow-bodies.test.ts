// Request bodies over a raw socket: a body that keeps moving has no overall deadline (an upload
// slower than 30 s in total used to get 408: the limit is on idle gaps, not on the whole body), and
// a body that stalls has its socket closed without an answer once it has not moved for the limit.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { startServer } from './server.js';

/** Opens a raw connection to the server and collects everything it answers until it closes. */
function rawClient(url: string): { socket: Socket; answer: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const answer = new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => undefined);
  });
  return { socket, answer };
}

function head(path: string, token: string, length: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`
  );
}

void t.test('a body trickled over five idle limits is read whole', async (t) => {
  const server = await startServer(t, 'pg', { bodyIdleMs: 2_000 });
  const body = JSON.stringify({ name: 'slow-client-token-over-a-long-upload' });
  const { socket, answer } = rawClient(server.url);
  socket.write(head('/api/v1/tokens', server.adminToken, Buffer.byteLength(body)));
  // A piece every 500 ms for about 10 s: never idle for the limit, but five limits in total.
  const pieces = 20;
  const size = Math.ceil(body.length / pieces);
  for (let at = 0; at < body.length; at += size) {
    socket.write(body.slice(at, at + size));
    await sleep(500);
  }
  const text = await answer;
  t.match(text, /^HTTP\/1\.1 201 /, 'created: the body was never cut');
  t.match(text, /"name":"slow-client-token-over-a-long-upload"/);
});

void t.test('a body that stops moving is cut without an answer', async (t) => {
  const server = await startServer(t, 'pg', { bodyIdleMs: 1_000 });
  const { socket, answer } = rawClient(server.url);
  socket.write(head('/api/v1/tokens', server.adminToken, 64));
  socket.write('{"name":');
  // Nothing more is sent: the server closes the socket once the body has been idle for 1 s.
  t.equal(await answer, '', 'closed with no response at all (no 408, no partial JSON error)');
  t.ok(socket.destroyed);
});

void t.test(
  'a bodyless request and a finished body are not cut while the answer takes long',
  async (t) => {
    const server = await startServer(t, 'pg', { bodyIdleMs: 500 });
    const { socket, answer } = rawClient(server.url);
    // Keep-alive socket: a GET, then a pause of several idle limits, then another request.
    socket.write(
      `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.adminToken}\r\n\r\n`,
    );
    await sleep(2_000);
    socket.write(
      `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.adminToken}\r\n` +
        'Connection: close\r\n\r\n',
    );
    const text = await answer;
    t.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2, 'both requests answered on one socket');
  },
);
