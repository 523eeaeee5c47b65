// One HTTP(S) request on node:http/https, for the agent's two plain calls to the control plane:
// enrollment and the readiness probe while it waits to reconnect. Not fetch: undici's parser is
// WebAssembly that stays in memory once loaded, about 20 MB of an idle agent's RSS for two calls
// in its life, while ws already has node:http/https loaded for the agent's socket. TLS is checked
// as for the socket (system CAs, NODE_EXTRA_CA_CERTS). Redirects are not followed.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The most of an answer's body kept; more is cut off (the calls read small JSON bodies). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpAnswer {
  status: number;
  statusText: string;
  /** The body as UTF-8, at most MAX_BODY_BYTES of it; empty when `readBody` was false. */
  text: string;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, connection to the body's end. */
  timeoutMs: number;
  /** false: only the status matters, the body is discarded unread. */
  readBody?: boolean;
}

/** Resolves with the answer, whatever its status; rejects when there is none (refused, timeout). */
export function request(url: URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, {
      method: options.method ?? 'GET',
      headers: {
        ...options.headers,
        ...(options.body === undefined
          ? {}
          : { 'content-length': String(Buffer.byteLength(options.body)) }),
      },
    });
    const timer = setTimeout(() => {
      outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    outgoing.on('error', fail);
    outgoing.on('response', (response: IncomingMessage) => {
      const answer = { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '' };
      if (options.readBody === false) {
        clearTimeout(timer);
        response.resume();
        resolve({ ...answer, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept >= MAX_BODY_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_BODY_BYTES - kept));
        kept += chunk.byteLength;
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ ...answer, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.end(options.body);
  });
}
