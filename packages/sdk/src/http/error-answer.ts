// Turns a non-2xx answer into a RexecError: the protocol's ErrorBody when the server sent one,
// else an `invalid_response` error that still keeps the status, Retry-After and request id.
import { ErrorBody } from '@rexec/protocol';
import { RexecError } from '../errors.js';

export interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  /** The parsed JSON body; undefined when the body was empty or not JSON. */
  json: unknown;
  text: string;
}

function headerSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

export function errorFromAnswer(answer: RawAnswer, what: string): RexecError {
  const parsed = ErrorBody.safeParse(answer.json);
  const headerRequestId = answer.headers.get('x-request-id') ?? undefined;
  if (!parsed.success) {
    const snippet = answer.text.slice(0, 200).replace(/\s+/g, ' ').trim();
    return new RexecError({
      status: answer.status,
      code: 'invalid_response',
      message:
        `${what} failed with HTTP ${answer.status} ${answer.statusText}`.trim() +
        (snippet === ''
          ? ' and an empty body.'
          : ` and a body that is not a Rexec error: ${snippet}`),
      retryAfter: headerSeconds(answer.headers),
      requestId: headerRequestId,
    });
  }
  const { error, code, request_id, retry_after, ...details } = parsed.data;
  return new RexecError({
    status: answer.status,
    code,
    message: error,
    details,
    retryAfter: retry_after ?? headerSeconds(answer.headers),
    requestId: request_id ?? headerRequestId,
  });
}
