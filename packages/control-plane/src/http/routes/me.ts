// GET /me: who the caller is, their tier's limits and what their containers use right now.
import { Me } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { usage } from '../../services/containers.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toTier, toUser } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

export function meRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/me',
      { config: { rateLimit: 'list' }, schema: { response: { 200: Me, ...ERROR_RESPONSES } } },
      async (request) => {
        const { user, tier } = callerOf(request);
        const { created_at: _created, ...identity } = toUser(user);
        return { user: identity, tier: toTier(tier), usage: await usage(database.db, user.id) };
      },
    );
    done();
  };
}
