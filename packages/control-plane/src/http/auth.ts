// Who is calling: resolves `Authorization: Bearer <token>` to a user, tier and scopes through the
// token service (hash lookup), and enforces each route's access level (public, user, admin) and
// the scope route-scopes.ts maps it to. Routes declare their level in `config.access`; everything
// not marked public needs a valid token. An address that keeps failing is refused before lookups.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/open.js';
import { forbidden, insufficientScope, RexecError } from '../errors.js';
import { authenticate, type Authenticated } from '../services/tokens.js';
import { createAuthAndConsume, type AuthAndConsume } from './auth-and-consume.js';
import type { IpLimits } from './ip-limits.js';
import { requiredScope } from './route-scopes.js';
import type { RateCategory, RateDecision } from './rate-limit.js';

export type Access = 'public' | 'user' | 'admin';

/** A route that needs a token, as registered: what the scope test walks. */
export interface ProtectedRoute {
  method: string;
  url: string;
  access: Exclude<Access, 'public'>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; `user` when omitted. */
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route registered that needs a token (filled as routes register). */
    protectedRoutes: readonly ProtectedRoute[];
  }
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route. */
    auth: Authenticated | null;
    /** Set by the auth hook when it already drew the route's rate-limit point (see below). */
    prepaidRate: ((budget: number) => RateDecision) | null;
  }
}

const BEARER = /^Bearer +([^\s]+) *$/i;

function unauthorized(message: string): RexecError {
  return new RexecError('unauthorized', message);
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw unauthorized('Missing Authorization header; send "Authorization: Bearer <token>".');
  }
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) {
    throw unauthorized('Malformed Authorization header; expected "Bearer <token>".');
  }
  return match[1];
}

const UNKNOWN_TOKEN = 'The API token is unknown or has been revoked.';

async function resolveCaller(database: Database, request: FastifyRequest): Promise<Authenticated> {
  const caller = await authenticate(database.db, bearerToken(request));
  if (caller === null) throw unauthorized(UNKNOWN_TOKEN);
  return caller;
}

/**
 * Rate-limited user routes on Postgres: caller and rate-limit point in one round trip, leaving the
 * decision for the rate-limit hook. Admin routes keep the two steps so a refused non-admin draws
 * nothing. Returns false when the two-step path must run instead.
 */
async function resolveWithBudget(
  authAndConsume: AuthAndConsume,
  request: FastifyRequest,
  category: RateCategory,
): Promise<boolean> {
  const outcome = await authAndConsume(bearerToken(request), category);
  if (outcome === 'unavailable') return false;
  if (outcome === null) throw unauthorized(UNKNOWN_TOKEN);
  request.auth = outcome.caller;
  request.prepaidRate = outcome.decide;
  return true;
}

/** The caller of a non-public route; the auth hook guarantees it is set. */
export function callerOf(request: FastifyRequest): Authenticated {
  if (request.auth === null) throw new Error('callerOf() used on a public route');
  return request.auth;
}

export function installAuth(app: FastifyInstance, database: Database, ipLimits: IpLimits): void {
  const routes: ProtectedRoute[] = [];
  app.decorate('protectedRoutes', routes);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? 'user';
    if (access === 'public') return;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, access });
  });
  app.decorateRequest('auth', null);
  app.decorateRequest('prepaidRate', null);
  const authAndConsume = createAuthAndConsume(database);
  app.addHook('onRequest', async (request, reply) => {
    // Unknown routes answer 404 without asking for credentials first.
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'user';
    if (access === 'public') return;
    const category = request.routeOptions.config.rateLimit;
    await ipLimits.checkAuth(request.ip);
    try {
      const done =
        access === 'user' &&
        category !== undefined &&
        authAndConsume !== undefined &&
        (await resolveWithBudget(authAndConsume, request, category));
      if (!done) request.auth = await resolveCaller(database, request);
    } catch (error) {
      if (
        error instanceof RexecError &&
        (error.code === 'unauthorized' || error.code === 'user_disabled')
      ) {
        void reply.header('www-authenticate', 'Bearer realm="rexec"');
        // A request that presented nothing cost no lookup; one that presented a token did.
        if (request.headers.authorization !== undefined) await ipLimits.authFailed(request.ip);
      }
      throw error;
    }
    const caller = callerOf(request);
    if (access === 'admin' && !caller.user.isAdmin) {
      throw forbidden('This route is for administrators only.');
    }
    const required = requiredScope(request.method, request.routeOptions.url ?? '');
    if (!caller.scopes.includes(required)) throw insufficientScope(required);
  });
}
