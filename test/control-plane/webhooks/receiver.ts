// A real HTTP receiver on 127.0.0.1 port 0 for the webhook suites: it records every request (headers
// and raw body) and answers with whatever `answer` says for that request, so a test can make it
// fail the first N deliveries of an event.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The HTTP status the receiver answered with. */
  status: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
}

/** `answer` gets the request and how many earlier requests carried the same Rexec-Event-Id. */
export async function startReceiver(
  t: Test,
  answer: (body: string, earlierForEvent: number) => number = () => 204,
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const eventId = req.headers['rexec-event-id'];
      const earlier = received.filter((r) => r.headers['rexec-event-id'] === eventId).length;
      const status = answer(body, earlier);
      received.push({ headers: req.headers, body, status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Deliveries keep their sockets alive for the next one; close would wait for them.
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, port, received };
}
