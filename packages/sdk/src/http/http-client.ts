// The SDK's only HTTP caller: bearer auth, JSON in and out, 429 retries by policy, and every
// failure (network, error body, malformed answer) turned into a RexecError. Decoding a success
// body with its protocol schema is decode.ts's; which routes exist is the api/ modules'.
import { RexecError } from '../errors.js';
import { endpoint, type Query } from './base-url.js';
import { errorFromAnswer, type RawAnswer } from './error-answer.js';
import { retryDelayMs, sleep, type RetryPolicy } from './retry.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpClient {
  readonly root: URL;
  readonly token: string;
  /** Resolves with a 2xx answer; rejects with a RexecError for anything else. */
  send(
    method: string,
    path: string,
    options?: { body?: unknown; query?: Query },
  ): Promise<RawAnswer>;
  /**
   * A request whose bodies are not JSON (file bytes, tar streams): resolves with a 2xx Response
   * whose body is still unread; rejects with a RexecError for anything else. Never retried, since
   * a streamed body cannot be sent twice.
   */
  raw(
    method: string,
    path: string,
    options?: { body?: RawBody; query?: Query; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** What a raw request may carry: bytes, text, a Blob, a web stream or (Node) an async iterable. */
export type RawBody =
  string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface HttpClientOptions {
  root: URL;
  token: string;
  fetch: FetchLike;
  retry: RetryPolicy;
}

async function readAnswer(response: Response, what: string): Promise<RawAnswer> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new RexecError({
      status: response.status,
      code: 'network_error',
      message: `${what}: the connection broke while reading the answer (${String(error)}).`,
      cause: error,
    });
  }
  let json: unknown;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: left undefined so the caller reports the body as malformed with its text.
      json = undefined;
    }
  }
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    json,
    text,
  };
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { root, token, retry } = options;

  async function attempt(method: string, url: URL, body: unknown): Promise<RawAnswer> {
    const what = `${method} ${url.pathname}`;
    let response: Response;
    try {
      response = await options.fetch(url.href, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new RexecError({
        status: 0,
        code: 'network_error',
        message: `${what}: could not reach ${url.origin} (${reason instanceof Error ? reason.message : String(reason)}).`,
        cause: error,
      });
    }
    return readAnswer(response, what);
  }

  async function raw(
    method: string,
    path: string,
    {
      body,
      query,
      headers = {},
    }: { body?: RawBody; query?: Query; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = endpoint(root, path, query);
    const what = `${method} ${url.pathname}`;
    const streamed =
      body !== undefined &&
      typeof body === 'object' &&
      (Symbol.asyncIterator in body ||
        (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream));
    let response: Response;
    try {
      // `duplex` is required by fetch for a streamed request body; RequestInit lacks it in some libs.
      const init = {
        method,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(body === undefined ? {} : { body: body as RequestInit['body'] }),
        ...(streamed ? { duplex: 'half' } : {}),
      } as RequestInit;
      response = await options.fetch(url.href, init);
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new RexecError({
        status: 0,
        code: 'network_error',
        message: `${what}: could not reach ${url.origin} (${reason instanceof Error ? reason.message : String(reason)}).`,
        cause: error,
      });
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw errorFromAnswer(await readAnswer(response, what), what);
  }

  return {
    root,
    token,
    raw,
    async send(method, path, { body, query } = {}) {
      const url = endpoint(root, path, query);
      for (let retries = 0; ; retries += 1) {
        const answer = await attempt(method, url, body);
        if (answer.status >= 200 && answer.status < 300) return answer;
        const error = errorFromAnswer(answer, `${method} ${url.pathname}`);
        const delay =
          answer.status === 429 ? retryDelayMs(retry, retries + 1, error.retryAfter) : undefined;
        if (delay === undefined) throw error;
        await sleep(delay);
      }
    },
  };
}
