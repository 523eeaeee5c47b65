// Background execs through any replica. A background exec lives on the agent (its output ring, its
// status); the control plane only opens channels to ask for it. So a replica without the host's
// agent socket starts, queries and signals one on the replica holding that socket with one signed
// call each (forwardBackgroundExec), and pipes its stream socket there like a terminal
// (replica-forward.ts). forwardedBackgroundExecRoutes() is the holder's side,
// `POST /internal/v1/background-exec`: outside /api/v1 and without a token (the user was checked,
// rate-limited and audited where they asked), taken only with a good, unseen signature over the
// exact body, and run as a local call.
import { ExecId, ExecRequest, ExecSignal } from '@rexec/protocol';
import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { hostUnavailable, invalidRequest, unavailable } from '../../errors.js';
import type { BackgroundExecs } from '../../exec/background-execs.js';
import type { CommandChannel } from '../../hub/channel.js';
import {
  BackgroundExecForwardTarget,
  createReplayGuard,
  FORWARD_EXEC_BACKGROUND_PATH,
  FORWARD_HEADER,
  sha256Hex,
  signForward,
} from '../../terminal/forward-signature.js';
import { postForwarded, type ForwardedAnswer } from './exec-forward.js';
import { checkForwarded, takeForwarded } from './forward-admission.js';

const FORWARDED_BACKGROUND_TYPE = 'application/vnd.rexec.forwarded-exec-background+json';
/** As the exec route's own limit (stdin may be 1 MiB, escaped). */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/** A start answers once the command runs, a query at once; past this the holder is gone. */
const ANSWER_TIMEOUT_MS = 90_000;

/** What a forwarded call asks: start a background exec, or its status (after a signal). */
export const BackgroundCall = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('start'), request: ExecRequest }),
  z.strictObject({ action: z.literal('query'), exec_id: ExecId, signal: ExecSignal.optional() }),
]);
export type BackgroundCall = z.infer<typeof BackgroundCall>;

/** Runs `call` on the replica at `holderUrl`; resolves with its answer as given. */
export function forwardBackgroundExec(
  holderUrl: string,
  key: Buffer,
  target: { containerId: string; hostId: string },
  call: BackgroundCall,
  signal: AbortSignal,
): Promise<ForwardedAnswer> {
  const text = JSON.stringify(call);
  const header = signForward(key, { ...target, callSha256: sha256Hex(text) });
  return postForwarded(
    `${holderUrl}${FORWARD_EXEC_BACKGROUND_PATH}`,
    FORWARDED_BACKGROUND_TYPE,
    header,
    text,
    { hostId: target.hostId, signal, timeoutMs: ANSWER_TIMEOUT_MS },
  );
}

export function forwardedBackgroundExecRoutes(deps: {
  key: Buffer | undefined;
  sockets: CommandChannel;
  backgroundExecs: BackgroundExecs | undefined;
}): FastifyPluginCallback {
  const replays = createReplayGuard();
  const what = 'background exec call';
  return (app, _options, done) => {
    app.addContentTypeParser(
      FORWARDED_BACKGROUND_TYPE,
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
      (_request, body, parsed) => parsed(null, body),
    );
    app.post(
      FORWARD_EXEC_BACKGROUND_PATH,
      { config: { access: 'public' }, bodyLimit: BODY_LIMIT_BYTES, schema: { hide: true } },
      async (request, reply) => {
        const { header, target } = checkForwarded(
          deps.key,
          request.headers[FORWARD_HEADER],
          BackgroundExecForwardTarget,
          what,
        );
        const text = typeof request.body === 'string' ? request.body : '';
        takeForwarded(replays, header, sha256Hex(text) === target.callSha256, what);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw invalidRequest('A forwarded background exec call must be JSON.');
        }
        const call = BackgroundCall.safeParse(json);
        if (!call.success || (call.data.action === 'start' && !call.data.request.background)) {
          throw invalidRequest('A forwarded background exec call is a start or a query.');
        }
        const { containerId, hostId } = target;
        if (!deps.sockets.isConnected(hostId)) throw hostUnavailable(hostId);
        if (deps.backgroundExecs === undefined) {
          throw unavailable('This replica does not run background commands.');
        }
        const exec = { containerId, hostId };
        if (call.data.action === 'start') {
          return reply.code(202).send(await deps.backgroundExecs.start(exec, call.data.request));
        }
        return deps.backgroundExecs.query(exec, call.data.exec_id, call.data.signal);
      },
    );
    done();
  };
}
