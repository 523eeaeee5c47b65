// The one error type of the control plane's domain: a stable `code` from DESIGN §3 plus wire-ready
// `details` (snake_case keys). Mapping codes to HTTP statuses and bodies is the HTTP layer's job;
// nothing here knows about HTTP.
import { ERROR_CODES, type ErrorCode } from '@rexec/protocol';

// The codes are part of the wire contract, so @rexec/protocol owns the list.
export { ERROR_CODES, type ErrorCode };

export type ErrorDetails = Record<string, unknown>;

export class RexecError extends Error {
  override readonly name = 'RexecError';
  readonly code: ErrorCode;
  /** Extra fields for the error body, with snake_case keys exactly as they go on the wire. */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

export function isRexecError(value: unknown, code?: ErrorCode): value is RexecError {
  return value instanceof RexecError && (code === undefined || value.code === code);
}

export interface IssueDetail {
  path: string;
  message: string;
}

/** Thrown when input is well-formed JSON but not acceptable (unknown tier, bad token shape…). */
export function invalidRequest(message: string, issues: IssueDetail[] = []): RexecError {
  return new RexecError('invalid_request', message, { issues });
}

/** Thrown when a caller presents no token, a malformed one, or an unknown or revoked one. */
export function unauthorized(message = 'A valid API token is required.'): RexecError {
  return new RexecError('unauthorized', message);
}

/** Thrown when a valid token belongs to a user an administrator disabled. */
export function userDisabled(): RexecError {
  return new RexecError(
    'user_disabled',
    'This user has been disabled by an administrator; its tokens are refused.',
  );
}

/**
 * Thrown when the caller's token lacks the scope the route (or the token being minted) needs;
 * `required` names that scope.
 */
export function insufficientScope(required: string, message?: string): RexecError {
  return new RexecError(
    'insufficient_scope',
    message ?? `This token lacks the "${required}" scope this request needs.`,
    { required },
  );
}

/** Thrown when an authenticated caller may not perform the action (e.g. not an admin). */
export function forbidden(message = 'You are not allowed to do this.'): RexecError {
  return new RexecError('forbidden', message);
}

/** Thrown when creating one more container would exceed the tier's container count. */
export function containerLimitReached(limit: number, current: number, tier: string): RexecError {
  return new RexecError(
    'container_limit_reached',
    `Your ${tier} tier allows ${limit} containers and you have ${current}.`,
    { limit, current, tier },
  );
}

/** Thrown when a requested per-container resource is above the tier's maximum. */
export function resourceLimitExceeded(
  resource: string,
  requested: number,
  limit: number,
  tier: string,
): RexecError {
  return new RexecError(
    'resource_limit_exceeded',
    `${resource} ${requested} is above the ${tier} tier's maximum of ${limit}.`,
    { resource, requested, limit, tier },
  );
}

/** Thrown when a create asks for network egress its tier does not give (`internet` on `none`). */
export function egressNotAllowed(requested: string, allowed: string, tier: string): RexecError {
  return new RexecError(
    'resource_limit_exceeded',
    `network.egress "${requested}" is not available on the ${tier} tier, whose containers get ` +
      `"${allowed}"; omit network.egress or ask for "${allowed}".`,
    { resource: 'network.egress', requested, limit: allowed, tier },
  );
}

/** Thrown when a resource does not exist or belongs to someone else (never reveal which). */
export function notFound(what: string, id?: string): RexecError {
  const message = id === undefined ? `${what} not found.` : `${what} ${id} not found.`;
  return new RexecError('not_found', message);
}

/** Thrown when the user already has a non-deleted container with that name. */
export function nameTaken(name: string): RexecError {
  return new RexecError('name_taken', `You already have a container named ${name}.`, { name });
}

/** Thrown when an action does not fit the resource's current status. */
/**
 * Thrown when a non-admin's custom image names a registry REXEC_ALLOWED_REGISTRIES does not allow
 * (by default: an IP address, localhost, or a host without a dot).
 */
export function imageNotAllowed(reference: string, registry: string): RexecError {
  return new RexecError(
    'image_not_allowed',
    `Images from ${registry} are not allowed here; use a public registry or a catalog image.`,
    { image: reference, registry },
  );
}

export function invalidState(message: string, status: string): RexecError {
  return new RexecError('invalid_state', message, { status });
}

/**
 * Thrown when a webhook URL resolves to a private, loopback, link-local or otherwise non-public
 * address and REXEC_WEBHOOK_ALLOW_PRIVATE / REXEC_WEBHOOK_ALLOWED_CIDRS do not allow it.
 */
export function urlNotAllowed(url: string, address: string): RexecError {
  return new RexecError(
    'url_not_allowed',
    `The webhook URL resolves to ${address}, which is not a public address.`,
    { url, address },
  );
}

/** Thrown when a caller has used up a rate-limit budget; `retryAfter` is whole seconds. */
export function rateLimited(retryAfter: number): RexecError {
  return new RexecError('rate_limited', `Too many requests; retry in ${retryAfter} s.`, {
    retry_after: retryAfter,
  });
}

/** Thrown when a container already runs as many execs as REXEC_EXEC_MAX_CONCURRENT allows. */
export function tooManyExecs(message: string): RexecError {
  return new RexecError('too_many_execs', message);
}

/** Thrown for faults that are ours, not the caller's; the HTTP layer hides the message. */
export function internal(message: string, cause?: unknown): RexecError {
  return new RexecError('internal', message, {}, cause);
}

/**
 * Thrown when no eligible host has room for a container. `details` say why (`reason`, `resource`,
 * `largest_fit`, …; services/no-capacity.ts builds them) so the caller knows what to change.
 */
export function noCapacity(
  message = 'No host has room for this container right now.',
  details: ErrorDetails = {},
): RexecError {
  return new RexecError('no_capacity', message, details);
}

/** Thrown when the container's host is not connected, so the action cannot be carried out. */
export function hostUnavailable(hostId?: string): RexecError {
  return new RexecError(
    'host_unavailable',
    'The host of this container is not reachable right now.',
    hostId === undefined ? {} : { host_id: hostId },
  );
}

/** Thrown when a dependency such as the database cannot be reached. */
export function unavailable(message: string, cause?: unknown): RexecError {
  return new RexecError('unavailable', message, {}, cause);
}
