// The caller's own API tokens: issue (secret shown once, within the calling token's own scopes and
// expiry), list without secrets, revoke.
import { TokenCreate, TokenCreated, TokenId, TokenList } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { grantFor } from '../../services/token-grants.js';
import { createToken, listTokens, revokeToken } from '../../services/tokens.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toToken, toTokenCreated } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

export function tokenRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/tokens',
      {
        config: { rateLimit: 'operations' },
        schema: { body: TokenCreate, response: { 201: TokenCreated, ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { name, scopes, expires_in_days: expiresInDays } = request.body;
        const grant = grantFor(
          { isAdmin: caller.user.isAdmin, scopes: caller.scopes, expiresAt: caller.expiresAt },
          { scopes, expiresInDays },
          new Date(),
        );
        const created = await createToken(database.db, caller.user.id, name, grant);
        return reply.status(201).send(toTokenCreated(created));
      },
    );
    app.get(
      '/tokens',
      {
        config: { rateLimit: 'list' },
        schema: { response: { 200: TokenList, ...ERROR_RESPONSES } },
      },
      async (request) => ({
        tokens: (await listTokens(database.db, callerOf(request).user.id)).map(toToken),
      }),
    );
    app.delete(
      '/tokens/:id',
      {
        config: { rateLimit: 'operations' },
        schema: {
          params: z.object({ id: TokenId }),
          response: { 204: z.null().describe('Revoked'), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        await revokeToken(database.db, callerOf(request).user.id, request.params.id);
        return reply.status(204).send(null);
      },
    );
    done();
  };
}
