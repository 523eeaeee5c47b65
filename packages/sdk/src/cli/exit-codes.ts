// The CLI's exit codes, the contract scripts rely on (also in the README), and the mapping from a
// failure to its code. `rexec shell` exits with the shell's own code once the shell has started.
import type { RexecError } from '../errors.js';

export const ExitCode = {
  OK: 0,
  /** Any API error without a more specific code below. */
  API_ERROR: 1,
  /** Bad command line: unknown command or flag, missing or malformed argument. */
  USAGE: 2,
  /** The container, host, user or token does not exist (or is not yours). */
  NOT_FOUND: 3,
  /** Not logged in, token unknown or revoked, or not allowed (admin only). */
  AUTH: 4,
  /** A tier limit or the rate limit refused the request. */
  LIMIT: 5,
  /** Conflict with the current state: name taken, container in the wrong state. */
  CONFLICT: 6,
  /** The control plane could not be reached, or is unavailable or out of capacity. */
  UNAVAILABLE: 7,
  /** `create --wait`: the container failed to start or did not start in time. */
  CONTAINER_FAILED: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown for a bad command line; main prints it with a pointer to `rexec help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown for a failure the CLI itself detects (no login, unreadable config) with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function exitCodeFor(error: RexecError): ExitCode {
  switch (error.code) {
    case 'not_found':
    case 'path_not_found':
      return ExitCode.NOT_FOUND;
    case 'unauthorized':
    case 'forbidden':
      return ExitCode.AUTH;
    case 'container_limit_reached':
    case 'resource_limit_exceeded':
    case 'rate_limited':
    case 'too_many_execs':
    case 'payload_too_large':
    case 'disk_quota_exceeded':
      return ExitCode.LIMIT;
    case 'name_taken':
    case 'invalid_state':
    case 'path_exists':
      return ExitCode.CONFLICT;
    case 'network_error':
    case 'unavailable':
    case 'no_capacity':
    case 'host_unavailable':
      return ExitCode.UNAVAILABLE;
    case 'container_failed':
    case 'timeout':
      return ExitCode.CONTAINER_FAILED;
    default:
      return ExitCode.API_ERROR;
  }
}
