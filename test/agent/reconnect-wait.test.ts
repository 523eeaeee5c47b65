// The agent's reconnect wait against real TCP ports on this machine: a control plane that comes
// back (its port refused, then accepts) ends the wait early; a port that accepts all along (up but
// refusing, or a load balancer) leaves the backoff whole; stop() ends it at once.
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import t from 'tap';
import { freePort } from '../helpers/net.js';
import {
  portAccepts,
  probeTarget,
  waitToReconnect,
} from '../../packages/agent/src/socket/reconnect-wait.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

void t.test('probeTarget takes the port from the URL or its scheme, and unwraps IPv6', (t) => {
  t.same(probeTarget(new URL('http://cp.example:8080')), { host: 'cp.example', port: 8080 });
  t.same(probeTarget(new URL('https://cp.example')), { host: 'cp.example', port: 443 });
  t.same(probeTarget(new URL('http://cp.example/')), { host: 'cp.example', port: 80 });
  t.same(probeTarget(new URL('http://[::1]:9000')), { host: '::1', port: 9000 });
  t.end();
});

void t.test('a port that refused and then accepts ends a long wait early', async (t) => {
  const port = await freePort();
  const target = { host: '127.0.0.1', port };
  let server: Server | undefined;
  t.teardown(async () => {
    if (server !== undefined) await close(server);
  });
  let refused = 0;
  // Real probes; the port opens only once one of them has seen it refuse.
  const accepts = async (probed: typeof target) => {
    const open = await portAccepts(probed);
    if (!open) {
      refused += 1;
      server ??= await listen(port);
    }
    return open;
  };
  const ended = await waitToReconnect(600_000, target, new AbortController().signal, { accepts });
  t.equal(refused, 1, 'one probe saw the port refuse');
  t.equal(ended, 'returned', 'ended by the port coming back, not by the ten-minute delay');
});

void t.test('a port that accepts throughout leaves the delay whole', async (t) => {
  const server = await listen(0);
  t.teardown(() => close(server));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const target = { host: '127.0.0.1', port: address.port };
  t.ok(await portAccepts(target));
  t.equal(await waitToReconnect(1_600, target, new AbortController().signal), 'elapsed');
});

void t.test('stopping ends the wait at once', async (t) => {
  const stop = new AbortController();
  const waiting = waitToReconnect(
    600_000,
    { host: '127.0.0.1', port: await freePort() },
    stop.signal,
  );
  setTimeout(() => stop.abort(), 700);
  t.equal(await waiting, 'aborted');
});
