// `POST /containers/:id/exec` (DESIGN §8.1): runs one command in the caller's running container and
// answers its exit code and output. Counts against the operations rate limit; another user's
// container is 404. The agent channel and the result's shape are the exec runner's.
import { ContainerRef, ExecRequest, ExecResult, ExecStarted } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { forwardExec, hangUp, holderFor, sendForwarded } from './exec-forward.js';
import { forwardBackgroundExec } from './exec-background-forward.js';
import { z } from 'zod';
import { hostUnavailable, invalidState, unavailable } from '../../errors.js';
import { DISCONNECTED } from '../../hub/channel.js';
import { getContainer } from '../../services/container-queries.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { callerOf } from '../auth.js';
import { ERROR_RESPONSES } from './responses.js';

const params = z.object({ id: ContainerRef });

/** stdin may be 1 MiB of UTF-8, which JSON escaping can grow several times. */
const EXEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export function execRoutes({
  database,
  hub: commands = DISCONNECTED,
  // Whether the host's socket is here: the channel this route opens needs it.
  sockets: hub = commands,
  execs,
  backgroundExecs,
  replicaForwarding,
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/containers/:id/exec',
      {
        config: { rateLimit: 'operations' },
        bodyLimit: EXEC_BODY_LIMIT_BYTES,
        schema: {
          description:
            'Runs a command in the running container and waits for it: exactly one of `argv` ' +
            '(run directly) and `command` (run by `/bin/sh -c`). Output is kept up to ' +
            'REXEC_EXEC_OUTPUT_LIMIT_KB per stream (`*_truncated` says more was written); output ' +
            'that is not UTF-8 comes as `stdout_base64`/`stderr_base64`. On timeout every process ' +
            'of the command is killed and the answer has `timed_out: true, exit_code: null`. ' +
            '409 `invalid_state` when the container is not running; 429 `too_many_execs` over ' +
            'REXEC_EXEC_MAX_CONCURRENT. With `background: true` it answers 202 `{exec_id, ' +
            'status}` as soon as the command runs; read it with the status route and the ' +
            'stream socket (stdin stays open for the stream unless the body gives `stdin`).',
          params,
          body: ExecRequest,
          response: { 200: ExecResult, 202: ExecStarted, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { user } = callerOf(request);
        const row = await getContainer(database.db, user.id, request.params.id);
        if (row.status !== 'running') {
          throw invalidState(`The container is ${row.status}; exec needs it running.`, row.status);
        }
        if (row.hostId === null) throw hostUnavailable();
        const target = { hostId: row.hostId, containerId: row.id };
        if (!hub.isConnected(row.hostId)) {
          // Another replica may hold the host's socket: the exec runs through it.
          const { holder, key } = await holderFor(replicaForwarding, row.hostId);
          const gone = hangUp(reply);
          const forwarded =
            request.body.background === true
              ? await forwardBackgroundExec(
                  holder,
                  key,
                  target,
                  { action: 'start', request: request.body },
                  gone,
                )
              : await forwardExec(holder, key, target, request.body, gone);
          // Already JSON, success or error: sent as the holder wrote it.
          return sendForwarded(reply, forwarded);
        }
        if (request.body.background === true) {
          if (backgroundExecs === undefined) {
            throw unavailable('This control plane does not run background commands.');
          }
          const started = await backgroundExecs.start(target, request.body);
          return reply.code(202).send(started);
        }
        if (execs === undefined) throw unavailable('This control plane does not run commands.');
        return execs.run(target, request.body, hangUp(reply));
      },
    );
    done();
  };
}
