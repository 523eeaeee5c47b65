// Admin fleet routes: list and inspect hosts, cordon/uncordon/drain, approve (manual approval),
// trust, revoke and remove them, and mint, list and revoke join tokens for new agents. Connectivity and
// capacity come from agents (the hub), not from here.
import {
  Host,
  HostId,
  HostList,
  HostRemoveQuery,
  HostTrust,
  JoinTokenCreate,
  JoinTokenCreated,
  JoinTokenId,
  JoinTokenList,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HostRow, HostScheduling } from '../../db/schema/hosts.js';
import { revokeHostCredentials } from '../../services/host-enrollment.js';
import { setTrusted } from '../../services/host-trust.js';
import {
  approveHost,
  createJoinToken,
  getHost,
  listHosts,
  listJoinTokens,
  revokeJoinToken,
  setScheduling,
} from '../../services/hosts.js';
import { DISCONNECTED } from '../../hub/channel.js';
import { removeHost } from '../../lifecycle/host-removal.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { toHost as hostObject, toJoinToken, toJoinTokenCreated } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

const ACTIONS: Record<'cordon' | 'uncordon' | 'drain', HostScheduling> = {
  cordon: 'cordoned',
  uncordon: 'active',
  drain: 'draining',
};

const admin = { access: 'admin' } as const;
const hostParams = z.object({ id: HostId });
const joinTokenParams = z.object({ id: JoinTokenId });

export function hostRoutes({
  database,
  placer,
  running,
  hub = DISCONNECTED,
}: RouteDependencies): FastifyPluginCallbackZod {
  const toHost = (row: HostRow) => hostObject(row, placer.cpuOvercommitPercent);
  return (app, _options, done) => {
    app.get(
      '/hosts',
      { config: admin, schema: { response: { 200: HostList, ...ERROR_RESPONSES } } },
      async () => ({ hosts: (await listHosts(database.db)).map((row) => toHost(row)) }),
    );
    app.get(
      '/hosts/:id',
      {
        config: admin,
        schema: { params: hostParams, response: { 200: Host, ...ERROR_RESPONSES } },
      },
      async (request) => toHost(await getHost(database.db, request.params.id)),
    );
    for (const [action, scheduling] of Object.entries(ACTIONS)) {
      app.post(
        `/hosts/:id/${action}`,
        {
          config: admin,
          schema: { params: hostParams, response: { 200: Host, ...ERROR_RESPONSES } },
        },
        async (request) =>
          toHost(
            await setScheduling(
              database.db,
              request.params.id,
              scheduling,
              callerOf(request).user.id,
            ),
          ),
      );
    }
    app.post(
      '/hosts/:id/approve',
      {
        config: admin,
        schema: { params: hostParams, response: { 200: Host, ...ERROR_RESPONSES } },
      },
      async (request) =>
        toHost(await approveHost(database.db, request.params.id, callerOf(request).user.id)),
    );
    app.get(
      '/hosts/join-tokens',
      { config: admin, schema: { response: { 200: JoinTokenList, ...ERROR_RESPONSES } } },
      async () => {
        const now = new Date();
        const rows = await listJoinTokens(database.db);
        return { join_tokens: rows.map((row) => toJoinToken(row, now)) };
      },
    );
    app.delete(
      '/hosts/join-tokens/:id',
      {
        config: admin,
        schema: {
          params: joinTokenParams,
          response: { 204: z.null().describe('Revoked'), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        await revokeJoinToken(database.db, request.params.id, callerOf(request).user.id);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/hosts/:id/trust',
      {
        config: admin,
        schema: {
          params: hostParams,
          body: HostTrust.nullish(),
          response: { 200: Host, ...ERROR_RESPONSES },
        },
      },
      async (request) =>
        toHost(
          await setTrusted(
            database.db,
            request.params.id,
            // No body (null) or an empty one trusts.
            request.body?.trusted ?? true,
            callerOf(request).user.id,
          ),
        ),
    );
    app.post(
      '/hosts/:id/revoke',
      {
        config: admin,
        schema: { params: hostParams, response: { 200: Host, ...ERROR_RESPONSES } },
      },
      async (request) => {
        const { id } = request.params;
        await getHost(database.db, id);
        await revokeHostCredentials(database.db, id, callerOf(request).user.id);
        // This replica closes its own session at once; another replica holding the session
        // closes it when it next writes the host's last_seen_at (within about 5 s).
        hub.disconnectRevoked(
          id,
          'An administrator revoked this host. Join it again with a new join token.',
        );
        return toHost(await getHost(database.db, id));
      },
    );
    app.delete(
      '/hosts/:id',
      {
        config: admin,
        schema: {
          description:
            'Removes the host from the fleet and revokes its credential (its agent is disconnected). ' +
            'Refused with 409 `invalid_state` (status `online`) while it is online unless ' +
            '`force=true`. Its containers become `error` with reason `host_removed`, or are deleted ' +
            '(on the host too, when it is connected) with `delete_containers=true`; either way they ' +
            "no longer count against their owners' limits.",
          params: hostParams,
          querystring: HostRemoveQuery,
          response: { 204: z.null().describe('Removed'), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        await removeHost({ db: database.db, running, hub, log: request.log }, request.params.id, {
          force: request.query.force ?? false,
          deleteContainers: request.query.delete_containers ?? false,
          actorUserId: callerOf(request).user.id,
        });
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/hosts/join-tokens',
      {
        config: admin,
        schema: {
          body: JoinTokenCreate.nullish(),
          response: { 201: JoinTokenCreated, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const created = await createJoinToken(database.db, {
          // No body (null) or an empty one means the default lifetime.
          expiresInSeconds: request.body?.expires_in_seconds,
          createdBy: callerOf(request).user.id,
        });
        return reply.status(201).send(toJoinTokenCreated(created));
      },
    );
    done();
  };
}
