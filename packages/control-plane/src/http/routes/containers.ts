// The caller's containers (DESIGN §3): list with paging, create (quota, defaults and placement in
// the containers service), get by id or name, the setup log, start, stop, delete. Every route draws from a
// rate-limit category; another user's container is always 404.
import {
  Container,
  ContainerCreateRequest,
  ContainerDeleting,
  ContainerList,
  ContainerListQuery,
  ContainerLogs,
  ContainerRef,
} from '@rexec/protocol';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ContainerRow } from '../../db/schema/containers.js';
import { DISCONNECTED } from '../../hub/channel.js';
import {
  changeState,
  deleteContainer,
  launchContainer,
  type Action,
  type LifecycleDeps,
} from '../../lifecycle/actions.js';
import {
  countContainers,
  createContainer,
  getContainer,
  listContainers,
} from '../../services/containers.js';
import { readSetupLog } from '../../lifecycle/setup-log.js';
import { PUBLIC_REGISTRIES } from '../../services/image-policy.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toContainer } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

const params = z.object({ id: ContainerRef });
const operations = { rateLimit: 'operations' } as const;

export function containerRoutes({
  database,
  placer,
  hub,
  running,
  launches,
  allowedRegistries = PUBLIC_REGISTRIES,
  idleMinuteMs,
}: RouteDependencies): FastifyPluginCallbackZod {
  const { db } = database;
  /** The caller's containers as the API shows them: the caller's tier decides idle_stop_at. */
  const shown = (request: FastifyRequest, row: ContainerRow) =>
    toContainer(row, { minutes: callerOf(request).tier.idleStopMinutes, minuteMs: idleMinuteMs });
  return (app, _options, done) => {
    const lifecycle: LifecycleDeps = { db, running, hub: hub ?? DISCONNECTED, log: app.log };
    app.get(
      '/containers',
      {
        config: { rateLimit: 'list' },
        schema: {
          querystring: ContainerListQuery,
          response: { 200: ContainerList, ...ERROR_RESPONSES },
        },
      },
      async (request) => {
        const { user, tier } = callerOf(request);
        const { status, limit, cursor } = request.query;
        const page = await listContainers(db, user.id, { status, limit, cursor });
        // `count` is every live container (all pages, all statuses): what the tier's limit counts.
        const count =
          page.nextCursor === null && cursor === undefined && status === undefined
            ? page.rows.length
            : await countContainers(db, user.id);
        return {
          containers: page.rows.map((row) => shown(request, row)),
          count,
          limit: tier.maxContainers,
          next_cursor: page.nextCursor ?? undefined,
        };
      },
    );
    app.post(
      '/containers',
      {
        config: { rateLimit: 'create' },
        schema: { body: ContainerCreateRequest, response: { 202: Container, ...ERROR_RESPONSES } },
      },
      async (request, reply) => {
        const { user, tier } = callerOf(request);
        const row = await createContainer(db, {
          user,
          tier,
          request: request.body,
          placer,
          allowedRegistries,
        });
        // The agent's answer arrives later (202 `creating`); launch records it and never throws.
        // Tracked, so shutdown waits for it before the pool closes (lifecycle/launches.ts).
        // The tier was read with the caller, a few milliseconds ago: its session length stands.
        launches.track(launchContainer(lifecycle, row, tier.sessionHours));
        return reply.status(202).send(shown(request, row));
      },
    );
    app.get(
      '/containers/:id',
      { config: operations, schema: { params, response: { 200: Container, ...ERROR_RESPONSES } } },
      async (request) =>
        shown(request, await getContainer(db, callerOf(request).user.id, request.params.id)),
    );
    app.get(
      '/containers/:id/logs',
      {
        config: operations,
        schema: { params, response: { 200: ContainerLogs, ...ERROR_RESPONSES } },
      },
      async (request) => {
        const row = await getContainer(db, callerOf(request).user.id, request.params.id);
        const log = await readSetupLog(db, row.id);
        return {
          setup_log: log.text,
          truncated: log.truncated,
          ...(row.statusDetail === null ? {} : { status_detail: row.statusDetail }),
        };
      },
    );
    for (const action of ['start', 'stop'] satisfies Action[]) {
      app.post(
        `/containers/:id/${action}`,
        {
          config: operations,
          schema: { params, response: { 200: Container, ...ERROR_RESPONSES } },
        },
        async (request) =>
          shown(
            request,
            await changeState(lifecycle, callerOf(request).user.id, request.params.id, action),
          ),
      );
    }
    app.delete(
      '/containers/:id',
      {
        config: operations,
        schema: {
          params,
          response: {
            204: z.null().describe('Removed'),
            202: ContainerDeleting,
            ...ERROR_RESPONSES,
          },
        },
      },
      async (request, reply) => {
        const outcome = await deleteContainer(
          lifecycle,
          callerOf(request).user.id,
          request.params.id,
        );
        return outcome.kind === 'removed'
          ? reply.status(204).send(null)
          : reply.status(202).send({ id: outcome.id, status: 'deleting' as const });
      },
    );
    done();
  };
}
