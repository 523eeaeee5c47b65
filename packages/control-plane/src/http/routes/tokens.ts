// The caller's own API tokens: issue (secret shown once), list without secrets, revoke.
import { TokenCreate, TokenCreated, TokenId, TokenList } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createToken, listTokens, revokeToken } from '../../services/tokens.js';
import type { RouteDependencies } from '../app.js';
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
        const created = await createToken(
          database.db,
          callerOf(request).user.id,
          request.body.name,
        );
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
