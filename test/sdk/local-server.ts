// A real HTTP server on 127.0.0.1 port 0 whose answers a test scripts route by route, for what the
// real control plane never sends (malformed bodies, proxies' pages, Retry-After schedules). Each
// request is recorded so a test can count attempts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface LocalServer {
  url: string;
  /** `METHOD /path` of every request received, in order. */
  requests: string[];
  route(method: string, path: string, handler: Handler): void;
}

export function reply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Handler {
  return (_request, response) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };
}

export async function startLocalServer(t: Test): Promise<LocalServer> {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const key = `${request.method ?? ''} ${new URL(request.url ?? '/', 'http://x').pathname}`;
    requests.push(key);
    const handler = routes.get(key);
    if (handler === undefined) {
      response.writeHead(500).end(`no route for ${key}`);
      return;
    }
    request.resume();
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (method, path, handler) => routes.set(`${method} ${path}`, handler),
  };
}
