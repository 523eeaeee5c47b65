// Execs through any replica (foreground ones; a background exec's state lives in the replica that
// started it). The exec route, finding the host's agent socket on another live replica, posts the
// checked request there with forwardExec(): the exact body, and a header signed with the cluster
// secret naming the container, the host and the body's SHA-256. forwardedExecRoutes() is that
// replica's side, `POST /internal/v1/exec`: outside /api/v1, without a token (the user was
// checked, rate-limited and audited where they asked), taken only with a good, unseen signature
// over the same body, and run as a local exec. Its answer, success or error, goes back as it is.
import { DEFAULT_EXEC_TIMEOUT_SECONDS, ExecRequest, type ExecResult } from '@rexec/protocol';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { hostUnavailable, invalidRequest, RexecError, unavailable } from '../../errors.js';
import type { ExecRunner } from '../../exec/exec-runner.js';
import type { CommandChannel } from '../../hub/channel.js';
import type { ReplicaForwarding } from '../route-dependencies.js';
import {
  ExecForwardTarget,
  FORWARD_EXEC_PATH,
  FORWARD_HEADER,
  createReplayGuard,
  sha256Hex as sha256,
  signForward,
} from '../../terminal/forward-signature.js';
import { checkForwarded, takeForwarded } from './forward-admission.js';

/** The content type of a forwarded exec's body: JSON, kept as text so its hash can be checked. */
const FORWARDED_EXEC_TYPE = 'application/vnd.rexec.forwarded-exec+json';
/** How long after the command's own timeout a holder may take to answer. */
const ANSWER_GRACE_S = 30;
/** As the exec route's own limit. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface ForwardedAnswer {
  status: number;
  /** The holder's JSON answer as it sent it. */
  text: string;
}

/**
 * Posts one signed call to the holder; resolves with its answer as given (success or error).
 * @throws RexecError host_unavailable when the holder cannot be reached, is silent past
 * `timeoutMs`, or goes away before its whole answer.
 */
export async function postForwarded(
  url: string,
  contentType: string,
  header: string,
  text: string,
  call: { hostId: string; signal: AbortSignal; timeoutMs: number },
): Promise<ForwardedAnswer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType, [FORWARD_HEADER]: header },
      body: text,
      signal: AbortSignal.any([call.signal, AbortSignal.timeout(call.timeoutMs)]),
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    throw new RexecError(
      'host_unavailable',
      'The replica holding the container’s host could not be reached or did not answer; try again.',
      { host_id: call.hostId },
      error,
    );
  }
}

/** Runs a (foreground) exec on the replica at `holderUrl`; resolves with its answer as given. */
export async function forwardExec(
  holderUrl: string,
  key: Buffer,
  target: { containerId: string; hostId: string },
  request: ExecRequest,
  signal: AbortSignal,
): Promise<ForwardedAnswer> {
  const text = JSON.stringify(request);
  const header = signForward(key, { ...target, bodySha256: sha256(text) });
  // The holder ends the command at its timeout; one that answers nothing long after is gone.
  const seconds = (request.timeout_seconds ?? DEFAULT_EXEC_TIMEOUT_SECONDS) + ANSWER_GRACE_S;
  return postForwarded(`${holderUrl}${FORWARD_EXEC_PATH}`, FORWARDED_EXEC_TYPE, header, text, {
    hostId: target.hostId,
    signal,
    timeoutMs: seconds * 1000,
  });
}

/**
 * The replica holding `hostId`'s agent socket, and the key to sign for it.
 * @throws RexecError host_unavailable (held nowhere live), unavailable (no cluster secret here).
 */
export async function holderFor(
  forwarding: ReplicaForwarding | undefined,
  hostId: string,
  what = 'execs',
): Promise<{ holder: string; key: Buffer }> {
  const holder = await forwarding?.holderOf(hostId);
  if (holder === undefined) throw hostUnavailable(hostId);
  if (forwarding?.key === undefined) {
    throw unavailable(
      `The container’s host is connected to another replica, and ${what} cannot be forwarded ` +
        'there: REXEC_CLUSTER_SECRET is not set on this replica.',
    );
  }
  return { holder, key: forwarding.key };
}

/** Sends the holder's answer on as it is: already JSON, with its status or `okStatus` for a success. */
export function sendForwarded(
  reply: FastifyReply,
  answer: ForwardedAnswer,
  okStatus?: number,
): FastifyReply {
  const ok = answer.status >= 200 && answer.status < 300;
  return reply
    .code(ok && okStatus !== undefined ? okStatus : answer.status)
    .type('application/json; charset=utf-8')
    .serializer((payload: string) => payload)
    .send(answer.text);
}

export function forwardedExecRoutes(deps: {
  key: Buffer | undefined;
  sockets: CommandChannel;
  execs: ExecRunner | undefined;
}): FastifyPluginCallback {
  const replays = createReplayGuard();
  return (app, _options, done) => {
    app.addContentTypeParser(
      FORWARDED_EXEC_TYPE,
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
      (_request, body, parsed) => parsed(null, body),
    );
    app.post(
      FORWARD_EXEC_PATH,
      { config: { access: 'public' }, bodyLimit: BODY_LIMIT_BYTES, schema: { hide: true } },
      async (request, reply): Promise<ExecResult> => {
        const { header, target } = checkForwarded(
          deps.key,
          request.headers[FORWARD_HEADER],
          ExecForwardTarget,
          'exec',
        );
        const text = typeof request.body === 'string' ? request.body : '';
        takeForwarded(replays, header, sha256(text) === target.bodySha256, 'exec');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw invalidRequest('A forwarded exec body must be JSON.');
        }
        const body = ExecRequest.safeParse(json);
        if (!body.success || body.data.background === true) {
          throw invalidRequest('A forwarded exec is a foreground exec request.');
        }
        const { containerId, hostId } = target;
        if (!deps.sockets.isConnected(hostId)) throw hostUnavailable(hostId);
        if (deps.execs === undefined) throw unavailable('This replica does not run commands.');
        const gone = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) gone.abort();
        });
        return deps.execs.run({ hostId, containerId }, body.data, gone.signal);
      },
    );
    done();
  };
}

/** Aborted when the client hangs up: the command is killed, nobody is left to read its result. */
export function hangUp(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}
