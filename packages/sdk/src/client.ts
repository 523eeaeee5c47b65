// RexecClient: the SDK's front door. Compiles the options once (API root, token, fetch, retry
// policy, WebSocket transport) and hands them to one object per resource. Runs anywhere with a
// global fetch; terminals need a WebSocket (global, or `ws` through the Node entry).
import type { Image, Me, Role } from '@rexec/protocol';
import { getImages, getMe, getRoles, Tokens } from './api/account.js';
import { Webhooks } from './api/webhooks.js';
import { Hosts, Tiers, Users } from './api/admin.js';
import { Containers } from './api/containers.js';
import { Audit, Events } from './api/events.js';
import { Files } from './api/files.js';
import { apiRoot } from './http/base-url.js';
import { createHttpClient, type FetchLike, type HttpClient } from './http/http-client.js';
import { retryPolicy, type RetryOption } from './http/retry.js';
import { globalWebSocket, standardSocketTransport } from './terminal/browser-socket.js';
import { connectTerminal, type TerminalConnectOptions } from './terminal/connect.js';
import type { Terminal } from './terminal/terminal-session.js';
import type { TransportFactory } from './terminal/transport.js';

export interface RexecClientOptions {
  /** The control plane's URL (`https://rexec.example`); a trailing `/api/v1` is accepted. */
  baseUrl: string;
  /** An API token (`rexec_…`). */
  token: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Automatic retry of 429 answers after their Retry-After; off unless set. */
  retry?: RetryOption;
  /** How terminals open sockets; defaults to the global WebSocket (the Node entry uses `ws`). */
  webSocket?: TransportFactory;
}

function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.trim() === '') {
    throw new TypeError('token must be a non-empty API token string');
  }
  // A header value cannot carry these; refusing here beats a cryptic fetch TypeError later.
  if ([...token].some((char) => char <= ' ' || char === '\u007f')) {
    throw new TypeError('token must not contain whitespace or control characters');
  }
  return token;
}

function missingWebSocket(): never {
  throw new TypeError(
    'This runtime has no global WebSocket: in Node, import RexecClient from "@rexec/sdk/node", ' +
      'or pass the webSocket option.',
  );
}

export class RexecClient {
  readonly containers: Containers;
  /** Files in containers: bytes, streams, listings and tar streams (Node adds local folders). */
  readonly files: Files;
  readonly tokens: Tokens;
  readonly webhooks: Webhooks;
  /** Admin only. */
  readonly users: Users;
  /** Admin only. */
  readonly hosts: Hosts;
  /** `list()` for everyone, `update()` for admins. */
  readonly tiers: Tiers;
  /** Events of your containers (admins: everything with `all: true`), paged or live. */
  readonly events: Events;
  /** Admin only: the audit log of API calls. */
  readonly audit: Audit;
  readonly terminal: { connect(container: string, options?: TerminalConnectOptions): Terminal };
  readonly #http: HttpClient;

  constructor(options: RexecClientOptions) {
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof fetchImpl !== 'function') {
      throw new TypeError('No fetch available: pass the fetch option');
    }
    const http = createHttpClient({
      root: apiRoot(options.baseUrl),
      token: checkToken(options.token),
      fetch: fetchImpl,
      retry: retryPolicy(options.retry),
    });
    this.#http = http;
    // Resolved when a socket opens, after the options are checked, so bad options say so first.
    const transport: TransportFactory =
      options.webSocket ??
      ((request, events) =>
        standardSocketTransport(globalWebSocket() ?? missingWebSocket())(request, events));
    this.containers = new Containers(http, transport);
    this.files = this.createFiles(http);
    this.tokens = new Tokens(http);
    this.webhooks = new Webhooks(http);
    this.users = new Users(http);
    this.hosts = new Hosts(http);
    this.tiers = new Tiers(http);
    this.events = new Events(http);
    this.audit = new Audit(http);
    this.terminal = {
      connect: (container, connectOptions) =>
        connectTerminal(http.root, http.token, transport, container, connectOptions),
    };
  }

  /** The files object; the Node entry gives one that also reads and writes local folders. */
  protected createFiles(http: HttpClient): Files {
    return new Files(http);
  }

  /** The caller, their tier's limits and their current usage. */
  me(): Promise<Me> {
    return getMe(this.#http);
  }

  /** The images a container may be created from. */
  images(): Promise<Image[]> {
    return getImages(this.#http);
  }

  /** The setup roles a container may be given. */
  roles(): Promise<Role[]> {
    return getRoles(this.#http);
  }
}
