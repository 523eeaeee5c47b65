// Liveness and readiness, outside /api/v1 and without credentials (DESIGN §2): /healthz answers
// while the process runs; /readyz only while the database answers a trivial query and the replica
// is not shutting down (a load balancer then stops sending it work while it still serves).
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDependencies } from '../route-dependencies.js';
import { unavailable } from '../../errors.js';
import { ERROR_RESPONSES } from './responses.js';

const Status = z.object({ status: z.enum(['ok', 'ready']) });

export function healthRoutes({
  database,
  shuttingDown,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { response: { 200: Status } } },
      () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      { config: { access: 'public' }, schema: { response: { 200: Status, ...ERROR_RESPONSES } } },
      async () => {
        if (shuttingDown?.() === true) throw unavailable('This replica is shutting down.');
        try {
          await database.ping();
        } catch (error) {
          throw unavailable('The database is not reachable.', error);
        }
        return { status: 'ready' as const };
      },
    );
    done();
  };
}
