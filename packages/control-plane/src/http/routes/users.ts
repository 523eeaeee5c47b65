// Admin user management: create (answering with the user's first token), list, change tier,
// disable or enable, delete (with the user's tokens and containers).
import { User, UserCreate, UserCreated, UserId, UserList, UserPatch } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DISCONNECTED } from '../../hub/channel.js';
import type { LifecycleDeps } from '../../lifecycle/actions.js';
import { removeUser } from '../../lifecycle/user-removal.js';
import { createUser, listUsers, updateUser } from '../../services/users.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toUser } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

export function userRoutes({
  database,
  hub,
  running,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    const lifecycle: LifecycleDeps = {
      db: database.db,
      running,
      hub: hub ?? DISCONNECTED,
      log: app.log,
    };
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
            disabled: request.body.disabled,
            actorUserId: callerOf(request).user.id,
          }),
        ),
    );
    app.delete(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          description:
            'Deletes the user, its tokens and its containers (removed from their hosts; one on ' +
            'a host that is away is removed when the host reconnects).',
          params: z.object({ id: UserId }),
          response: { 204: z.null().describe('Deleted'), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const outcome = await removeUser(lifecycle, request.params.id, callerOf(request).user.id);
        request.log.info({ user_id: request.params.id, ...outcome }, 'user deleted');
        return reply.status(204).send(null);
      },
    );
    done();
  };
}
