// `GET /api/v1/containers/:id/terminal` (PROTOCOL.md §10): after the usual auth, operations rate
// limit and query validation, checks the caller's container is running on a connected host, then
// hands the raw socket to the terminal relay for the WebSocket handshake. Refusals are ordinary
// JSON errors because the socket still speaks HTTP; the relaying itself is terminal/'s.
import {
  ContainerRef,
  TERMINAL_SUBPROTOCOL,
  TerminalConnectQuery,
  readTerminalSubprotocols,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hostUnavailable, invalidRequest, invalidState, unavailable } from '../../errors.js';
import { DISCONNECTED } from '../../hub/channel.js';
import { getContainer } from '../../services/container-queries.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { ERROR_RESPONSES } from './responses.js';
import { offeredSubprotocols, pendingUpgrade } from './terminal-upgrade.js';

const params = z.object({ id: ContainerRef });

export function terminalRoutes({
  database,
  hub: commands = DISCONNECTED,
  // Whether the host's socket is here: the channel this route opens needs it.
  sockets: hub = commands,
  terminals,
  replicaForwarding,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/containers/:id/terminal',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Upgrades to a WebSocket running a shell in the container (PROTOCOL.md §10). Send ' +
            '`Authorization: Bearer <token>`, or from a browser the subprotocols ' +
            '`rexec.terminal.v1, rexec.token.<token>`.',
          params,
          querystring: TerminalConnectQuery,
          response: { ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const upgrade = pendingUpgrade(request.raw);
        if (upgrade === undefined) {
          throw invalidRequest('This route only upgrades to a WebSocket; connect with one.');
        }
        const offered = offeredSubprotocols(request.raw);
        if (offered.length > 0 && !readTerminalSubprotocols(offered).terminal) {
          throw invalidRequest(`Offer the subprotocol ${TERMINAL_SUBPROTOCOL}.`);
        }
        const { user, tokenId } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        if (row.status !== 'running') {
          throw invalidState(
            `The container is ${row.status}; a terminal needs it running.`,
            row.status,
          );
        }
        if (row.hostId === null) throw hostUnavailable();
        if (terminals === undefined || !terminals.accepting) {
          throw unavailable('Terminals are not served by this control plane right now.');
        }
        const target = {
          containerId: row.id,
          hostId: row.hostId,
          userId: user.id,
          tokenId,
          session: request.query.session,
          cols: request.query.cols,
          rows: request.query.rows,
        };
        if (hub.isConnected(row.hostId)) {
          void reply.hijack();
          upgrade.response.detachSocket(upgrade.socket as never);
          terminals.upgrade(request.raw, upgrade.socket, upgrade.head, target);
          return;
        }
        // Another replica may hold the host's agent socket: the terminal is opened there.
        const holder = await replicaForwarding?.holderOf(row.hostId);
        if (holder === undefined) throw hostUnavailable(row.hostId);
        const forwarder = replicaForwarding?.forwarder;
        if (forwarder === undefined) {
          throw unavailable(
            'The container’s host is connected to another replica, and terminals cannot be ' +
              'forwarded there: REXEC_CLUSTER_SECRET is not set on this replica.',
          );
        }
        void reply.hijack();
        upgrade.response.detachSocket(upgrade.socket as never);
        forwarder.forward(holder, request.raw, upgrade.socket, upgrade.head, target);
      },
    );
    done();
  };
}
