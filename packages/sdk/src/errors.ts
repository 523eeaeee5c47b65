// RexecError: the one error every SDK call rejects with, whether the API answered with an error
// body, the network failed, the answer was malformed, or a wait gave up. Codes the server sends
// are the protocol's ERROR_CODES; the SDK adds its own few (CLIENT_ERROR_CODES) for what it sees.
import type { ErrorCode } from '@rexec/protocol';

/** Codes the SDK itself raises; they never come from the server. */
export const CLIENT_ERROR_CODES = [
  /** The request never got an HTTP answer (DNS, refused connection, reset, TLS, abort). */
  'network_error',
  /** The server answered something that is not what the protocol promises. */
  'invalid_response',
  /** `create(…, { wait: true })` saw the container end in `error` (or leave `creating` otherwise). */
  'container_failed',
  /** A wait ran past its `timeoutMs`. */
  'timeout',
  /** The terminal socket failed or the server ended it with an error (details say which). */
  'terminal_error',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** A server code, a client code, or (for forward compatibility) a code this SDK does not know. */
export type RexecErrorCode = ErrorCode | ClientErrorCode | (string & {});

export interface RexecErrorInit {
  /** HTTP status; 0 when there was no HTTP answer. */
  status: number;
  code: RexecErrorCode;
  message: string;
  /** Everything else the error body carried (`issues`, `limit`, `status_reason`, …). */
  details?: Record<string, unknown>;
  /** Seconds to wait before retrying, from `retry_after` or the Retry-After header. */
  retryAfter?: number;
  requestId?: string;
  cause?: unknown;
}

/**
 * Thrown when a Rexec API call fails for any reason. `code` is stable and meant for programs;
 * `message` is one sentence for people.
 */
export class RexecError extends Error {
  override readonly name = 'RexecError';
  readonly status: number;
  readonly code: RexecErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryAfter: number | undefined;
  readonly requestId: string | undefined;

  constructor(init: RexecErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
  }
}

export function isRexecError(value: unknown): value is RexecError {
  return value instanceof RexecError;
}
