// The agent's metrics listener: a plain node:http server on its own address (REXEC_METRICS_BIND,
// REXEC_METRICS_PORT) answering `GET /metrics` with the registry's text exposition and 404 to
// anything else. The agent has no other listener; what the registry holds is main.ts's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

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
  registry: Registry,
  listen: MetricsListen,
  log: Pick<Logger, 'warn'>,
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
