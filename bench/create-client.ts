// The placement benchmark's load generator: node:http on kept-alive sockets, one per worker,
// posting one prepared create body. fetch cost the bench process about twice the CPU per request,
// and every millisecond the generator spends is one the control plane and Postgres cannot have.
import { Agent, request as httpRequest } from 'node:http';

export interface CreateClient {
  agent: Agent;
  url: URL;
  body: string;
}

/** A client posting creates of `resources` to `base`, with up to `sockets` requests at once. */
export function createClient(
  base: string,
  sockets: number,
  resources: Record<string, number>,
): CreateClient {
  return {
    agent: new Agent({ keepAlive: true, maxSockets: sockets }),
    url: new URL(`${base}/api/v1/containers`),
    body: JSON.stringify({
      image: 'custom',
      custom_image: 'localhost/rexec-test/busybox:latest',
      resources,
    }),
  };
}

export function postCreate(
  client: CreateClient,
  token: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      client.url,
      {
        method: 'POST',
        agent: client.agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(client.body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(client.body);
  });
}
