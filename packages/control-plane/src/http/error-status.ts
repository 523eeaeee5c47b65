// The ONE table from stable error codes to HTTP statuses (DESIGN §3). The domain throws codes;
// only the HTTP layer turns them into statuses, and only through this table.
import type { ErrorCode } from '@rexec/protocol';

export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  user_disabled: 401,
  forbidden: 403,
  insufficient_scope: 403,
  container_limit_reached: 403,
  resource_limit_exceeded: 403,
  image_not_allowed: 403,
  not_found: 404,
  name_taken: 409,
  invalid_state: 409,
  rate_limited: 429,
  too_many_execs: 429,
  invalid_path: 400,
  is_a_directory: 400,
  path_not_found: 404,
  path_exists: 409,
  payload_too_large: 413,
  disk_quota_exceeded: 403,
  range_not_satisfiable: 416,
  url_not_allowed: 400,
  internal: 500,
  no_capacity: 503,
  host_unavailable: 503,
  unavailable: 503,
};
