// Turns every failure into the API's error body `{error, code, ...details}`: domain RexecErrors via
// the code→status table, fastify's own request errors (bad JSON, content type, size, schema) into
// 400 invalid_request, a lost database into 503, and anything else into a 500 that carries only
// the request id. Logging of unexpected errors happens here, once, with the request id.
import type { ErrorBody, ValidationIssue } from '@rexec/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isRexecError } from '../errors.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { ERROR_STATUS } from './error-status.js';

interface Reply {
  status: number;
  body: ErrorBody;
}

const WHERE: Record<string, string> = {
  body: 'request body',
  params: 'path',
  querystring: 'query string',
  headers: 'headers',
};

function fromSchemaValidation(error: FastifyError): Reply | undefined {
  if (!hasZodFastifySchemaValidationErrors(error)) return undefined;
  const where = WHERE[error.validationContext ?? ''] ?? 'request';
  const issues: ValidationIssue[] = error.validation.map((issue) => ({
    path: issue.instancePath.split('/').filter(Boolean).join('.'),
    message: issue.message ?? 'is invalid',
  }));
  return {
    status: 400,
    body: { error: `The ${where} is invalid.`, code: 'invalid_request', issues },
  };
}

/** Fastify's content-type parser errors, each with a sentence a client can act on. */
function fromFastifyRequestError(error: FastifyError, bodyLimit: number): Reply | undefined {
  const message = ((): string | undefined => {
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return 'Unsupported Content-Type: send JSON with "Content-Type: application/json".';
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return `The request body is larger than the limit of ${bodyLimit} bytes.`;
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return 'The request body is not valid JSON.';
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return 'The Content-Length header does not match the body.';
      default:
        break;
    }
    if (error instanceof SyntaxError) return `The request body is not valid JSON: ${error.message}`;
    // Any other 4xx fastify raises before our handlers run (bad URL encoding, …).
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return `The request is invalid: ${error.message}`;
    return undefined;
  })();
  return message === undefined
    ? undefined
    : { status: 400, body: { error: message, code: 'invalid_request', issues: [] } };
}

function classify(error: FastifyError, request: FastifyRequest, bodyLimit: number): Reply {
  if (isRexecError(error) && error.code !== 'internal') {
    return {
      status: ERROR_STATUS[error.code],
      body: { ...error.details, error: error.message, code: error.code },
    };
  }
  const known = fromSchemaValidation(error) ?? fromFastifyRequestError(error, bodyLimit);
  if (known !== undefined) return known;
  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, 'database unavailable');
    return {
      status: ERROR_STATUS.unavailable,
      body: {
        error: 'The database is unavailable; try again shortly.',
        code: 'unavailable',
        request_id: request.id,
      },
    };
  }
  request.log.error({ err: error }, 'unexpected error');
  return {
    status: ERROR_STATUS.internal,
    body: {
      error: 'Internal error; the request id identifies it in the server log.',
      code: 'internal',
      request_id: request.id,
    },
  };
}

export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  if (body.code === 'rate_limited' && typeof body.retry_after === 'number') {
    void reply.header('retry-after', String(body.retry_after));
  }
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

/** Fastify's default for a path parameter longer than this; the ids and names here are far shorter. */
export const MAX_PATH_PARAM_CHARS = 100;

/**
 * The router's own refusals (a path parameter over MAX_PATH_PARAM_CHARS, a bad %-escape), which
 * fastify answers before any hook with its internal code and the whole path echoed back: the API's
 * 400 `invalid_request` instead, without the path. Passed as fastify's `frameworkErrors`.
 */
export function frameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `A path parameter is longer than ${MAX_PATH_PARAM_CHARS} characters.`
      : 'The request path is not validly encoded.';
  request.log.info({ code: error.code }, 'request path refused by the router');
  // No hook runs for these, so the onRequest hook's header is set here.
  void reply.header('x-request-id', request.id);
  return sendError(reply, 400, {
    error: message,
    code: 'invalid_request',
    issues: [{ path: 'params', message }],
  });
}

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = classify(error, request, bodyLimit);
    return sendError(reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      error: `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`,
      code: 'not_found',
    }),
  );
}
