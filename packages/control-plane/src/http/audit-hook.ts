// Records every state-changing API call in the audit log, successful or refused (401, 403, 4xx,
// 5xx alike): who (user and token), what (action and target from audit-actions.ts), from where
// (address, user agent), the request id and the outcome. It runs as the answer is about to be sent,
// after the handler's own transaction committed: see ARCHITECTURE.md "Audit log" for why not in it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/open.js';
import { recordAudit, type AuditInput } from '../services/audit-log.js';
import { auditActionOf, MUTATING_METHODS } from './audit-actions.js';

const MAX_USER_AGENT = 512;
const MAX_TARGET_ID = 256;

/** Only the fields the entry needs are read from the answer; it may hold a secret (a new token). */
function answerFields(payload: unknown): { id?: string; code?: string } {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    const nested = body['user'] as Record<string, unknown> | undefined;
    const id = body['id'] ?? nested?.['id'] ?? body['host_id'];
    const code = body['code'];
    return {
      ...(typeof id === 'string' ? { id } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  } catch {
    // Not JSON after all (a route's own text answer): the entry is written without these fields.
    return {};
  }
}

export function auditEntry(
  request: FastifyRequest,
  reply: FastifyReply,
  routeUrl: string,
  payload: unknown,
): AuditInput {
  const action = auditActionOf(request.method, routeUrl);
  const answer = answerFields(payload);
  const params = request.params as Record<string, unknown> | undefined;
  const fromPath = action.targetParam === undefined ? undefined : params?.[action.targetParam];
  const targetId = typeof fromPath === 'string' ? fromPath : answer.id;
  const userAgent = request.headers['user-agent'];
  const failed = reply.statusCode >= 400;
  return {
    actorUserId: request.auth?.user.id ?? null,
    actorTokenId: request.auth?.tokenId ?? null,
    action: action.action,
    targetType: action.targetType,
    targetId: targetId?.slice(0, MAX_TARGET_ID) ?? null,
    ip: request.ip,
    userAgent: userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    requestId: request.id,
    outcome: failed ? 'failure' : 'success',
    statusCode: reply.statusCode,
    errorCode: failed ? (answer.code ?? null) : null,
  };
}

export function installAudit(app: FastifyInstance, database: Database): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const routeUrl = request.routeOptions.url;
    // An unknown path changed nothing; a read is not audited; work another replica forwarded
    // was audited there, where the user asked for it.
    if (
      !MUTATING_METHODS.has(request.method) ||
      request.is404 ||
      routeUrl === undefined ||
      routeUrl.startsWith('/internal/')
    ) {
      return payload;
    }
    try {
      await recordAudit(database.db, auditEntry(request, reply, routeUrl, payload));
    } catch (error) {
      // The change (if any) is committed already; failing the answer now would hide that from the
      // caller without undoing it. The log line carries the request id for reconstruction.
      request.log.error({ err: error }, 'could not write the audit entry for this call');
    }
    return payload;
  });
}
