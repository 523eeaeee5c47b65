// GET /containers/:id/stats (DESIGN §8.3): the latest sample the container's agent sent (at most
// every REXEC_STATS_INTERVAL_SECONDS). The owner's container by id or name, any container by id
// for an admin; anyone else's is 404 like every container route. Storing samples is the hub's.
import { ContainerRef, ContainerStats } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getContainerWithStats } from '../../services/container-stats.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toContainerStats } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

const params = z.object({ id: ContainerRef });

const DESCRIPTION =
  'The latest sample of the container (cpu, memory, pids, network) as its host agent measured it, ' +
  'with disk as the disk monitor last measured it. A container that is not running, or was not ' +
  'sampled since it last started, answers 200 with `at: null` and null figures; disk_used_mb and ' +
  "the limits are always filled (the limits from the container's resources when the engine gave none).";

export function containerStatsRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  const { db } = database;
  return (app, _options, done) => {
    app.get(
      '/containers/:id/stats',
      {
        // A live `rexec stats` view polls every 2 s: the list category's budget, not operations'.
        config: { rateLimit: 'list' },
        schema: {
          description: DESCRIPTION,
          params,
          response: { 200: ContainerStats, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const { user } = callerOf(request);
        return toContainerStats(await getContainerWithStats(db, user, request.params.id));
      },
    );
    done();
  };
}
