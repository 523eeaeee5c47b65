// The metrics listener of the control plane and of the agent: a plain node:http server on its own
// address (REXEC_METRICS_BIND and REXEC_METRICS_PORT) answering `GET /metrics` with the registry's
// text exposition and 404 to anything else, never on the API port. Node-only, so it is its own
// entry (`@rexec/protocol/metrics-server`), out of the browser's. What the registry holds is each
// main.ts's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server needs of a prom-client Registry. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** What the server needs of a pino Logger. */
export interface MetricsLog {
  warn(object: object, message: string): void;
}

export interface MetricsListen {
  bind: string;
  port: number;
}

export interface MetricsServer {
  /** Listens; resolves with the URL scrapers use (the real port when 0 was asked). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export function createMetricsServer(
  registry: MetricsRegistry,
  listen: MetricsListen,
  log: MetricsLog,
): MetricsServer {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        // A collector that throws spoils the scrape, never the process: the scraper sees a 500.
        log.warn({ err: error }, 'could not collect metrics');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('collection failed\n');
      },
    );
  });
  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.bind, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = listen.bind.includes(':') ? `[${listen.bind}]` : listen.bind;
      return `http://${host}:${port}/metrics`;
    },
    async stop() {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
