// A terminal client for the relay and end-to-end suites: a real `ws` client on
// /api/v1/containers/:id/terminal that authenticates by header or by subprotocol, decodes the
// server's control frames with the protocol package, and keeps (or only counts and hashes) the raw
// output. A refused upgrade rejects with the HTTP status, headers and JSON body.
import { createHash, type Hash } from 'node:crypto';
import {
  decodeTerminalServerMessage,
  encodeTerminalClientMessage,
  TERMINAL_SUBPROTOCOL,
  TERMINAL_TOKEN_SUBPROTOCOL_PREFIX,
  type TerminalClientMessage,
  type TerminalServerMessage,
} from '@rexec/protocol';
import WebSocket from 'ws';

export type ServerFrame<T extends TerminalServerMessage['type']> = Extract<
  TerminalServerMessage,
  { type: T }
>;

export interface Closed {
  code: number;
  reason: string;
}

export class TerminalRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: unknown,
  ) {
    super(`terminal upgrade refused with HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

export interface ConnectOptions {
  token: string;
  /** `header` (default): Authorization; `subprotocol`: the browser's `rexec.token.<token>`. */
  auth?: 'header' | 'subprotocol';
  session?: string;
  cols?: number;
  rows?: number;
  /** Raw query string instead of session/cols/rows. */
  query?: string;
  /** Count and hash the output without keeping it (bulk transfers). */
  keepOutput?: boolean;
  /**
   * Hash the output (default true). A benchmark turns it off so that the client spends on each
   * byte no more than a terminal that only reads it.
   */
  hashOutput?: boolean;
}

export class TerminalClient {
  readonly frames: TerminalServerMessage[] = [];
  readonly closed: Promise<Closed>;
  outputBytes = 0;
  readonly #chunks: Buffer[] = [];
  readonly #hash: Hash | null;
  readonly #keep: boolean;
  #waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    keep: boolean,
    hash: boolean,
  ) {
    this.#keep = keep;
    this.#hash = hash ? createHash('sha256') : null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.#wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const bytes = data as Buffer;
      if (isBinary) {
        this.outputBytes += bytes.byteLength;
        this.#hash?.update(bytes);
        if (this.#keep) this.#chunks.push(bytes);
      } else {
        const decoded = decodeTerminalServerMessage(bytes);
        if (!decoded.ok) throw new Error(`server sent a bad frame: ${decoded.error.message}`);
        this.frames.push(decoded.value);
      }
      this.#wake();
    });
  }

  static connect(baseUrl: string, containerRef: string, options: ConnectOptions) {
    const params: [string, string][] = [];
    for (const key of ['session', 'cols', 'rows'] as const) {
      const value = options[key];
      if (value !== undefined) params.push([key, String(value)]);
    }
    const query = options.query ?? new URLSearchParams(params).toString();
    const url =
      `${baseUrl.replace(/^http/, 'ws')}/api/v1/containers/${containerRef}/terminal` +
      (query === '' ? '' : `?${query}`);
    const ws =
      options.auth === 'subprotocol'
        ? new WebSocket(url, [
            TERMINAL_SUBPROTOCOL,
            `${TERMINAL_TOKEN_SUBPROTOCOL_PREFIX}${options.token}`,
          ])
        : new WebSocket(url, { headers: { authorization: `Bearer ${options.token}` } });
    return new Promise<TerminalClient>((resolve, reject) => {
      ws.once('open', () =>
        resolve(new TerminalClient(ws, options.keepOutput ?? true, options.hashOutput ?? true)),
      );
      ws.once('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => {
          reject(
            new TerminalRefused(
              response.statusCode ?? 0,
              response.headers,
              text === '' ? undefined : JSON.parse(text),
            ),
          );
        });
      });
      ws.once('error', reject);
    });
  }

  /** Every output byte so far (keepOutput only). */
  get output(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** The last `bytes` of output as text, without joining all of it (keepOutput only). */
  tail(bytes: number): string {
    const picked: Buffer[] = [];
    let size = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && size < bytes; i--) {
      const chunk = this.#chunks[i];
      if (chunk === undefined) break;
      picked.unshift(chunk);
      size += chunk.byteLength;
    }
    const joined = Buffer.concat(picked);
    return joined.subarray(Math.max(0, joined.byteLength - bytes)).toString('latin1');
  }

  get text(): string {
    return this.output.toString('utf8');
  }

  get outputSha256(): string {
    if (this.#hash === null) throw new Error('this client was connected with hashOutput: false');
    return this.#hash.copy().digest('hex');
  }

  /** Keyboard input, as one binary frame. */
  type(input: string | Buffer): void {
    this.ws.send(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, { binary: true });
  }

  control(message: TerminalClientMessage): void {
    this.ws.send(encodeTerminalClientMessage(message));
  }

  /** The first control frame of `type` not yet taken, waiting for it. */
  async next<T extends TerminalServerMessage['type']>(
    type: T,
    timeoutMs = 10_000,
  ): Promise<ServerFrame<T>> {
    await this.until(() => this.frames.some((f) => f.type === type), timeoutMs, `a ${type} frame`);
    const index = this.frames.findIndex((f) => f.type === type);
    return this.frames.splice(index, 1)[0] as ServerFrame<T>;
  }

  /** Waits for the output text to match `pattern` (keepOutput only). */
  async outputMatching(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    await this.until(() => pattern.test(this.text), timeoutMs, `output matching ${pattern}`);
    return this.text;
  }

  async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        if (done()) return;
        throw new Error(
          `no ${what} within ${timeoutMs} ms; output so far: ${this.#describeOutput()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<Closed> {
    this.ws.close(1000);
    return this.closed;
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #describeOutput(): string {
    return JSON.stringify(this.#keep ? this.text.slice(-400) : `${this.outputBytes} bytes`);
  }
}
