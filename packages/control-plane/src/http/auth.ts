// Who is calling: resolves `Authorization: Bearer <token>` to a user and tier through the token
// service (hash lookup), and enforces each route's access level (public, user, admin). Routes
// declare their level in `config.access`; everything not marked public needs a valid token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/open.js';
import { forbidden, RexecError } from '../errors.js';
import { authenticate, type Authenticated } from '../services/tokens.js';

export type Access = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; `user` when omitted. */
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route. */
    auth: Authenticated | null;
  }
}

const BEARER = /^Bearer +([^\s]+) *$/i;

function unauthorized(message: string): RexecError {
  return new RexecError('unauthorized', message);
}

async function resolveCaller(database: Database, request: FastifyRequest): Promise<Authenticated> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw unauthorized('Missing Authorization header; send "Authorization: Bearer <token>".');
  }
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) {
    throw unauthorized('Malformed Authorization header; expected "Bearer <token>".');
  }
  const caller = await authenticate(database.db, match[1]);
  if (caller === null) throw unauthorized('The API token is unknown or has been revoked.');
  return caller;
}

/** The caller of a non-public route; the auth hook guarantees it is set. */
export function callerOf(request: FastifyRequest): Authenticated {
  if (request.auth === null) throw new Error('callerOf() used on a public route');
  return request.auth;
}

export function installAuth(app: FastifyInstance, database: Database): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request, reply) => {
    // Unknown routes answer 404 without asking for credentials first.
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'user';
    if (access === 'public') return;
    try {
      request.auth = await resolveCaller(database, request);
    } catch (error) {
      if (error instanceof RexecError && error.code === 'unauthorized') {
        void reply.header('www-authenticate', 'Bearer realm="rexec"');
      }
      throw error;
    }
    if (access === 'admin' && !request.auth.user.isAdmin) {
      throw forbidden('This route is for administrators only.');
    }
  });
}
