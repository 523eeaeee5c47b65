// Small pieces every suite with its own sockets needs: a free loopback port, an HTTP server served
// on port 0 and torn down with its WebSocket clients, and the error a promise must reject with.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import type { WebSocketServer } from 'ws';

/** A port free on 127.0.0.1 right now (for processes that must keep one port across restarts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

/**
 * Listens on 127.0.0.1 port 0 and returns the port. At the end of `t` every WebSocket client of
 * `wss` is cut and every HTTP connection closed, so teardown never waits on a peer.
 */
export async function serveOnLoopback(
  t: Test,
  server: Server,
  wss?: WebSocketServer,
): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(async () => {
    if (wss !== undefined) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** The error `promise` rejects with, if it is a `type`; any other outcome fails the caller. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name} rejection, got success`);
}
