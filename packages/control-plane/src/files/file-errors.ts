// The agent's file error codes (PROTOCOL.md §9c) as REST errors (DESIGN §8.2). Codes the REST
// contract names pass through; the agent's finer ones fold into the nearest REST code.
import { hostUnavailable, internal, invalidRequest, invalidState, RexecError } from '../errors.js';

/** Thrown when a path names nothing in the container (or its parent directory is missing). */
export function pathNotFound(message: string): RexecError {
  return new RexecError('path_not_found', message);
}

/** Thrown for a path the API cannot act on (relative, NUL, `/` itself for a write). */
export function invalidPath(message: string): RexecError {
  return new RexecError('invalid_path', message);
}

/** Thrown when a file operation meets a directory it cannot act on as one. */
export function isADirectory(message: string): RexecError {
  return new RexecError('is_a_directory', message);
}

/** Thrown when mkdir (without parents) or move would replace something that exists. */
export function pathExists(message: string): RexecError {
  return new RexecError('path_exists', message);
}

/** Thrown when an upload is over REXEC_MAX_UPLOAD_MB. */
export function payloadTooLarge(limitBytes: number): RexecError {
  return new RexecError(
    'payload_too_large',
    `Uploads are limited to ${Math.floor(limitBytes / (1024 * 1024))} MB.`,
    { limit_bytes: limitBytes },
  );
}

/** Thrown when an upload would take the container past its disk_mb. */
export function diskQuotaExceeded(message: string): RexecError {
  return new RexecError('disk_quota_exceeded', message);
}

export function fileError(code: string, message: string, hostId: string): RexecError {
  switch (code) {
    case 'path_not_found':
      return pathNotFound(message);
    case 'path_exists':
      return pathExists(message);
    case 'invalid_path':
    case 'not_a_directory':
      return invalidPath(message);
    case 'is_a_directory':
    case 'directory_not_empty':
      return isADirectory(message);
    case 'payload_too_large':
      return new RexecError('payload_too_large', message);
    case 'disk_quota_exceeded':
      return diskQuotaExceeded(message);
    case 'container_not_running':
      return invalidState('The container is not running; this file operation needs it.', 'stopped');
    case 'invalid_request':
    case 'invalid_archive':
      return invalidRequest(message);
    case 'host_unavailable':
      return hostUnavailable(hostId);
    default:
      return internal(`The agent could not complete the file operation (${code}): ${message}`);
  }
}
