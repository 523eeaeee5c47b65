// Admin user management: create (answering with the user's first token), list, change tier.
import { User, UserCreate, UserCreated, UserId, UserList, UserPatch } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createUser, listUsers, updateUser } from '../../services/users.js';
import type { RouteDependencies } from '../app.js';
import { callerOf } from '../auth.js';
import { toUser } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

export function userRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/users',
      {
        config: { access: 'admin' },
        schema: { body: UserCreate, response: { 201: UserCreated, ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        const { name, email, tier, is_admin: isAdmin } = request.body;
        const created = await createUser(database.db, {
          name,
          email,
          tier,
          isAdmin,
          actorUserId: callerOf(request).user.id,
        });
        return reply.status(201).send({ user: toUser(created.user), token: created.token.token });
      },
    );
    app.get(
      '/users',
      { config: { access: 'admin' }, schema: { response: { 200: UserList, ...ERROR_RESPONSES } } },
      async () => ({ users: (await listUsers(database.db)).map(toUser) }),
    );
    app.patch(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          params: z.object({ id: UserId }),
          body: UserPatch,
          response: { 200: User, ...ERROR_RESPONSES },
        },
      },
      async (request) =>
        toUser(
          await updateUser(database.db, request.params.id, {
            tier: request.body.tier,
            actorUserId: callerOf(request).user.id,
          }),
        ),
    );
    done();
  };
}
