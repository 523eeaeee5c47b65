// The agent's reconnect wait against real HTTP servers on this machine: a control plane that comes
// back (its /readyz refused, then 200) ends the wait early, and so does one behind a proxy or load
// balancer, whose port accepts all along but answers 502/503 while nothing is behind it (the
// chaos suite's proxy showed a bare TCP probe missing that case: agents waited up to 30 s after the
// control plane was back). One ready throughout leaves the backoff whole, unless the dial before
// the wait got no answer at all; stop() ends it at once.
import { createServer, type Server } from 'node:http';
import t from 'tap';
import { freePort } from '../helpers/net.js';
import {
  controlPlaneReady,
  probeTarget,
  waitToReconnect,
} from '../../packages/agent/src/socket/reconnect-wait.js';

/** An HTTP server on `port` whose /readyz answers `status()`. */
function serve(port: number, status: () => number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/readyz' ? status() : 404).end();
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

const at = (port: number) => probeTarget(new URL(`http://127.0.0.1:${port}/prefix`));

void t.test('the probe is the control plane root /readyz, whatever the URL path', (t) => {
  t.equal(probeTarget(new URL('https://cp.example/rexec')).href, 'https://cp.example/readyz');
  t.equal(probeTarget(new URL('http://[::1]:9000')).href, 'http://[::1]:9000/readyz');
  t.end();
});

void t.test('a control plane that was down and answers again ends a long wait early', async (t) => {
  const port = await freePort();
  let server: Server | undefined;
  t.teardown(async () => {
    if (server !== undefined) await close(server);
  });
  let notReady = 0;
  // Real probes; the server starts only once one of them has found nothing there.
  const ready = async (target: URL) => {
    const up = await controlPlaneReady(target);
    if (!up) {
      notReady += 1;
      server ??= await serve(port, () => 200);
    }
    return up;
  };
  const ended = await waitToReconnect(600_000, at(port), new AbortController().signal, { ready });
  t.equal(notReady, 1, 'one probe found it down');
  t.equal(ended, 'returned', 'ended by its return, not by the ten-minute delay');
});

void t.test('behind a balancer that answers 503 while nothing is behind it, too', async (t) => {
  let status = 503;
  const server = await serve(0, () => status);
  t.teardown(() => close(server));
  const port = (server.address() as { port: number }).port;
  let probes = 0;
  const ready = async (target: URL) => {
    const up = await controlPlaneReady(target);
    probes += 1;
    if (probes === 2) status = 200;
    return up;
  };
  const ended = await waitToReconnect(600_000, at(port), new AbortController().signal, { ready });
  t.equal(ended, 'returned', 'the port accepted all along, and the wait still ended early');
  t.equal(probes, 3, 'after two 503s and a 200');
});

void t.test('a control plane ready throughout leaves the delay whole', async (t) => {
  const server = await serve(0, () => 200);
  t.teardown(() => close(server));
  const port = (server.address() as { port: number }).port;
  t.ok(await controlPlaneReady(at(port)));
  t.equal(await waitToReconnect(1_600, at(port), new AbortController().signal), 'elapsed');
});

void t.test('after a dial that got no answer, the first ready probe ends the wait', async (t) => {
  // The chaos suite's network cut: the dial hung in the cut and failed as the link came back,
  // and the wait that followed found the control plane ready from its first probe.
  const server = await serve(0, () => 200);
  t.teardown(() => close(server));
  const port = (server.address() as { port: number }).port;
  const ended = await waitToReconnect(600_000, at(port), new AbortController().signal, {
    unreachable: true,
  });
  t.equal(ended, 'returned');
});

void t.test('stopping ends the wait at once', async (t) => {
  const stop = new AbortController();
  const waiting = waitToReconnect(600_000, at(await freePort()), stop.signal);
  setTimeout(() => stop.abort(), 700);
  t.equal(await waiting, 'aborted');
});
