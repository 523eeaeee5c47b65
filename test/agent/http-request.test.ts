// The agent's plain HTTP calls (http-request.ts, used for enrollment and the reconnect probe)
// against real servers on port 0: an answer of any status with its body, a body cut at 1 MiB, a
// probe that reads no body, a server that never answers (timeout) and a refused connection.
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { request } from '../../packages/agent/src/http-request.js';

async function serve(t: Test, handler: RequestListener): Promise<URL> {
  const server: Server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/path`);
}

void t.test('a POST gets the status and body, whatever the status', async (t) => {
  const seen: { method?: string; body: string; type?: string } = { body: '' };
  const url = await serve(t, (req, res) => {
    seen.method = req.method;
    seen.type = req.headers['content-type'];
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (seen.body += chunk));
    req.on('end', () => {
      res.writeHead(409, 'Conflict', { 'content-type': 'application/json' });
      res.end('{"error":"taken"}');
    });
  });
  const answer = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"héllo":1}',
    timeoutMs: 5_000,
  });
  t.same(answer, { status: 409, statusText: 'Conflict', text: '{"error":"taken"}' });
  t.same(seen, { method: 'POST', type: 'application/json', body: '{"héllo":1}' });
});

void t.test('a body over 1 MiB is cut at 1 MiB', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.end(Buffer.alloc(3 * 1024 * 1024, 'a'));
  });
  const answer = await request(url, { timeoutMs: 5_000 });
  t.equal(answer.text.length, 1024 * 1024);
});

void t.test('a probe that reads no body resolves on the status', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200);
    // The body never ends: the probe must not wait for it.
    res.write('ready');
  });
  const answer = await request(url, { timeoutMs: 5_000, readBody: false });
  t.same(answer, { status: 200, statusText: 'OK', text: '' });
});

void t.test('a server that never answers is a rejection after the timeout', async (t) => {
  const url = await serve(t, () => undefined);
  await t.rejects(request(url, { timeoutMs: 200 }), /no answer within 200 ms/);
});

void t.test('a refused connection is a rejection', async (t) => {
  const url = await serve(t, () => undefined);
  const closed = new URL(url);
  // A port just released by a server of our own: nothing listens there now.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closed.port = String((probe.address() as AddressInfo).port);
  probe.close();
  await once(probe, 'close');
  await t.rejects(request(closed, { timeoutMs: 5_000 }), { code: 'ECONNREFUSED' });
});
