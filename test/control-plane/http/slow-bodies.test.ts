// Request bodies over a raw socket: a body that keeps moving has no overall deadline (an upload
// slower than 30 s in total used to get 408: the limit is on idle gaps, not on the whole body), and
// a body that stalls has its socket closed without an answer once it has not moved for the limit.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { pino } from 'pino';
import { createEventWake } from '../../../packages/control-plane/src/events/event-wake.js';
import { preparedDatabase, startServer } from './server.js';

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

void t.test(
  'a kept-alive socket outlives the idle limit after every kind of request',
  async (t) => {
    const server = await startServer(t, 'pg', { bodyIdleMs: 500 });
    const auth = `Authorization: Bearer ${server.adminToken}\r\n`;
    const body = JSON.stringify({ name: 'kept-alive' });
    const requests = {
      'a DELETE': `DELETE /api/v1/tokens/tok_00000000000000000000000000000000 HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      'a POST with a body': `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      'a body refused before it is read': `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    };
    for (const [what, request] of Object.entries(requests)) {
      const { socket, answer } = rawClient(server.url);
      socket.write(request);
      await sleep(2_000);
      socket.write(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
      const text = await answer;
      t.equal(text.match(/HTTP\/1\.1 \d{3} /g)?.length, 2, `${what}, then a pause: both answered`);
    }
  },
);

void t.test('a bodyless request answered long after the idle limit is not cut', async (t) => {
  // An event stream is a GET that answers for as long as it is open; with heartbeats rarer than
  // the idle limit, nothing but the limit could end it. The Go SDK met the same cut on a DELETE
  // that waited for its agent longer than the limit: EOF instead of an answer.
  const { database, adminToken } = await preparedDatabase(t, 'pg');
  const wake = createEventWake({ database, log: pino({ level: 'silent' }), probeMs: 100 });
  await wake.start();
  t.teardown(() => wake.stop());
  const server = await startServer(t, 'pg', {
    database,
    eventWake: wake,
    sseHeartbeatMs: 60_000,
    bodyIdleMs: 300,
  });
  const { socket, answer } = rawClient(server.url);
  socket.write(
    `GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${adminToken}\r\n\r\n`,
  );
  await sleep(2_000);
  t.notOk(socket.destroyed, 'the stream is open after several idle limits');
  socket.end();
  t.match(await answer, /^HTTP\/1\.1 200 /);
});
