// Who may open an agent socket (PROTOCOL.md §3), decided before the upgrade: the agent
// subprotocol offered, the client address within its failed-authentication budget (shared with
// the REST API, http/ip-limits.ts: a refused credential counts, and past the budget the answer is
// 429 before any lookup), and a host credential that is known and not revoked. A refusal is a plain
// HTTP answer on the raw socket (upgrade-refusal.ts).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AGENT_SUBPROTOCOL } from '@rexec/protocol';
import type { Database } from '../db/open.js';
import { RexecError } from '../errors.js';
import type { IpLimits } from '../http/ip-limits.js';
import { authenticateHost, type AuthenticatedHost } from '../services/host-enrollment.js';
import type { Log } from './log.js';
import { refuseUpgrade } from './upgrade-refusal.js';

export interface AdmissionDeps {
  db: Database['db'];
  log: Log;
  ipLimits?: IpLimits | undefined;
  /** The client's address through trusted proxies; the socket's own when absent. */
  clientAddress?: ((request: IncomingMessage) => string) | undefined;
}

/** The host behind an upgrade request, or null once the socket has been answered with a refusal. */
export async function admitAgent(
  request: IncomingMessage,
  socket: Duplex,
  { db, log, ipLimits, clientAddress }: AdmissionDeps,
): Promise<AuthenticatedHost | null> {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(AGENT_SUBPROTOCOL)) {
    refuseUpgrade(socket, 400, 'invalid_request', `Offer the subprotocol ${AGENT_SUBPROTOCOL}.`);
    return null;
  }
  const ip = clientAddress?.(request) ?? request.socket.remoteAddress ?? 'unknown';
  try {
    await ipLimits?.checkAuth(ip);
  } catch (error) {
    if (!(error instanceof RexecError) || error.code !== 'rate_limited') throw error;
    const seconds = Number(error.details.retry_after ?? 60);
    refuseUpgrade(
      socket,
      429,
      'rate_limited',
      `Too many failed authentications; retry in ${seconds} s.`,
      { 'Retry-After': String(seconds) },
    );
    return null;
  }
  const credential = /^Bearer +([^\s]+) *$/i.exec(request.headers.authorization ?? '')?.[1];
  let host: AuthenticatedHost | null = null;
  try {
    if (credential !== undefined) host = await authenticateHost(db, credential);
  } catch (error) {
    log.error({ err: error }, 'cannot check an agent credential');
    refuseUpgrade(socket, 503, 'unavailable', 'The database is unavailable; retry later.');
    return null;
  }
  if (host === null) {
    if (credential !== undefined) await ipLimits?.authFailed(ip);
    refuseUpgrade(
      socket,
      401,
      'unauthorized',
      'The host credential is missing, unknown or revoked.',
    );
    return null;
  }
  return host;
}
