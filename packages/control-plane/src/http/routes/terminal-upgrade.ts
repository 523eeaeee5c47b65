// Routes every HTTP upgrade on the control plane's server. The agent socket goes to the hub, which
// authenticates hosts itself, and a terminal forwarded by another replica to its acceptor, which
// checks the cluster secret's signature; every other upgrade runs through fastify like an ordinary request, so
// the terminal route gets the same auth, rate limits, validation and JSON errors as REST (written
// on the raw socket before any handshake). Completing the handshake is the terminal route's.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AGENT_CONNECT_PATH, readTerminalSubprotocols } from '@rexec/protocol';
import type { FastifyInstance } from 'fastify';
import { FORWARDED_UPGRADE_PATHS } from '../../terminal/replica-forward.js';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** An upgrade request travelling through fastify, waiting for a route to take it. */
export interface PendingUpgrade {
  socket: Duplex;
  head: Buffer;
  /** Where fastify writes a refusal; detached once the route takes the socket. */
  response: ServerResponse;
}

/** Sockets a browser opens, which may carry the token as a subprotocol. */
const TERMINAL_PATH = /^\/api\/v1\/containers\/[^/]+\/(terminal|exec\/[^/]+\/stream)$/;

const pending = new WeakMap<IncomingMessage, PendingUpgrade>();

/** The upgrade behind `request`, if it arrived as one; undefined for plain HTTP. */
export function pendingUpgrade(request: IncomingMessage): PendingUpgrade | undefined {
  return pending.get(request);
}

/**
 * The subprotocol list as offered: `Sec-WebSocket-Protocol` split on commas (several headers are
 * joined by Node already).
 */
export function offeredSubprotocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined || header.trim() === '') return [];
  return header.split(',').map((protocol) => protocol.trim());
}

export function routeUpgrades(
  app: FastifyInstance,
  agent: UpgradeHandler | undefined,
  forwarded: UpgradeHandler | undefined,
): void {
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://rexec').pathname;
    if (path === AGENT_CONNECT_PATH && agent !== undefined) {
      agent(request, socket, head);
      return;
    }
    // Terminals and exec streams another replica forwards, authenticated by the cluster secret's
    // signature.
    if (FORWARDED_UPGRADE_PATHS.includes(path) && forwarded !== undefined) {
      socket.on('error', (error) => app.log.debug({ err: error }, 'upgrade socket error'));
      forwarded(request, socket, head);
      return;
    }
    socket.on('error', (error) => app.log.debug({ err: error }, 'upgrade socket error'));
    if (TERMINAL_PATH.test(path)) presentSubprotocolToken(request);
    const response = new ServerResponse(request);
    // A refused upgrade is one answer on its own connection, as with any HTTP error on upgrade.
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => socket.end());
    pending.set(request, { socket, head, response });
    app.routing(request, response);
  });
}

/**
 * Browsers cannot set headers on a WebSocket, so they send the token as the subprotocol
 * `rexec.token.<token>`; it is handed to the auth hook as the bearer header it already reads.
 * An explicit Authorization header wins.
 */
function presentSubprotocolToken(request: IncomingMessage): void {
  if (request.headers.authorization !== undefined) return;
  const { token } = readTerminalSubprotocols(offeredSubprotocols(request));
  if (token !== undefined) request.headers.authorization = `Bearer ${token}`;
}
