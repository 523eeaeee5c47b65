// Background exec routes (DESIGN §8.1): `GET /containers/:id/exec/:exec_id` (status),
// `POST …/signal`, and `GET …/stream`, the WebSocket that streams output and takes stdin
// (PROTOCOL.md §10b). Each checks the caller's container (another user's is 404) and its host like
// the other exec route; the exec itself is the agent's, reached through background-execs.ts and the
// exec stream relay.
import {
  ContainerRef,
  EXEC_STREAM_SUBPROTOCOL,
  ExecId,
  ExecSignalRequest,
  type ExecSignal,
  ExecStatus,
  ExecStreamQuery,
} from '@rexec/protocol';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hostUnavailable, invalidRequest, invalidState, unavailable } from '../../errors.js';
import { DISCONNECTED } from '../../hub/channel.js';
import { getContainer } from '../../services/container-queries.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { forwardBackgroundExec } from './exec-background-forward.js';
import { hangUp, holderFor, sendForwarded } from './exec-forward.js';
import { ERROR_RESPONSES } from './responses.js';
import { offeredSubprotocols, pendingUpgrade } from './terminal-upgrade.js';

const params = z.object({ id: ContainerRef, exec_id: ExecId });

export function execBackgroundRoutes({
  database,
  hub: commands = DISCONNECTED,
  // Whether the host's socket is here: the channel this route opens needs it.
  sockets: hub = commands,
  backgroundExecs,
  execStreams,
  replicaForwarding,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    /**
     * The caller's running container as an exec target, on a host connected here (`holder`
     * undefined) or to the live replica at `holder`, which the exec is then asked through.
     */
    async function targetOf(userId: string, containerRef: string) {
      const row = await getContainer(database.db, userId, containerRef);
      if (row.status !== 'running') {
        throw invalidState(`The container is ${row.status}; its execs ended with it.`, row.status);
      }
      if (row.hostId === null) throw hostUnavailable();
      const target = { hostId: row.hostId, containerId: row.id };
      if (hub.isConnected(row.hostId)) return { target, remote: undefined };
      return { target, remote: await holderFor(replicaForwarding, row.hostId) };
    }

    /** A status query (or a signal, answered 202) through the replica holding the host. */
    async function askHolder(
      reply: FastifyReply,
      remote: { holder: string; key: Buffer },
      target: { hostId: string; containerId: string },
      execId: string,
      signal?: ExecSignal,
    ) {
      const call = { action: 'query' as const, exec_id: execId, ...(signal && { signal }) };
      const answer = await forwardBackgroundExec(
        remote.holder,
        remote.key,
        target,
        call,
        hangUp(reply),
      );
      return sendForwarded(reply, answer, signal === undefined ? undefined : 202);
    }

    const service = () => {
      if (backgroundExecs === undefined) {
        throw unavailable('This control plane does not run background commands.');
      }
      return backgroundExecs;
    };

    app.get(
      '/containers/:id/exec/:exec_id',
      {
        schema: {
          description:
            'Status of a background exec: `running`, or `exited` with its `exit_code` (null when ' +
            'its timeout killed it) and `ended_at`. `output_bytes` is where its output ends so ' +
            'far. Kept REXEC_EXEC_GRACE_SECONDS after it exits, then 404.',
          params,
          response: { 200: ExecStatus, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const { target, remote } = await targetOf(user.id, request.params.id);
        const { exec_id: execId } = request.params;
        if (remote !== undefined) return askHolder(reply, remote, target, execId);
        return service().query(target, execId);
      },
    );

    app.post(
      '/containers/:id/exec/:exec_id/signal',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Sends a signal (TERM, KILL, INT or HUP) to every process of a running background ' +
            'exec, for clients without its stream socket; 202 with its status.',
          params,
          body: ExecSignalRequest,
          response: { 202: ExecStatus, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const { target, remote } = await targetOf(user.id, request.params.id);
        const { exec_id: execId } = request.params;
        if (remote !== undefined) {
          return askHolder(reply, remote, target, execId, request.body.signal);
        }
        const status = await service().query(target, execId, request.body.signal);
        return reply.code(202).send(status);
      },
    );

    app.get(
      '/containers/:id/exec/:exec_id/stream',
      {
        config: { rateLimit: 'operations' },
        schema: {
          description:
            'Upgrades to a WebSocket streaming a background exec (PROTOCOL.md §10b), subprotocol ' +
            '`rexec.exec.v1` (browsers add `rexec.token.<token>`). Binary frames from the server ' +
            'are output, byte 0 the stream (1 stdout, 2 stderr); binary frames from the client ' +
            'are stdin. Text frames: client `{type:"stdin_eof"}`, `{type:"signal",signal}`; ' +
            'server `{type:"ready",offset,truncated_before?}`, `{type:"exit",code}`, ' +
            '`{type:"error",code,message}`. `?offset=N` resumes from byte N of the output (both ' +
            'streams counted together); leaving leaves the command running.',
          params,
          querystring: ExecStreamQuery,
          response: { ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const upgrade = pendingUpgrade(request.raw);
        if (upgrade === undefined) {
          throw invalidRequest('This route only upgrades to a WebSocket; connect with one.');
        }
        const offered = offeredSubprotocols(request.raw);
        if (!offered.includes(EXEC_STREAM_SUBPROTOCOL)) {
          throw invalidRequest(`Offer the subprotocol ${EXEC_STREAM_SUBPROTOCOL}.`);
        }
        const { user } = callerOf(request);
        const { target, remote } = await targetOf(user.id, request.params.id);
        const stream = { ...target, execId: request.params.exec_id, offset: request.query.offset };
        if (remote !== undefined) {
          // The exec is asked through the replica holding its host, as a terminal is.
          const forwarder = replicaForwarding?.forwarder;
          if (forwarder === undefined) throw unavailable('This replica forwards no sockets.');
          void reply.hijack();
          upgrade.response.detachSocket(upgrade.socket as never);
          forwarder.forwardExecStream(
            remote.holder,
            request.raw,
            upgrade.socket,
            upgrade.head,
            stream,
          );
          return;
        }
        if (execStreams === undefined || !execStreams.accepting) {
          throw unavailable('Exec streams are not served by this control plane right now.');
        }
        void reply.hijack();
        upgrade.response.detachSocket(upgrade.socket as never);
        execStreams.upgrade(request.raw, upgrade.socket, upgrade.head, stream);
      },
    );
    done();
  };
}
