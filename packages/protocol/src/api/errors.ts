// Error codes and the error body every REST error carries (DESIGN §3).
// The HTTP status for each code lives in the control plane's single code→status table; this file
// only names the codes so clients and server agree on them.
import { z } from 'zod';

/** Every stable error code the REST API can answer with. */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'user_disabled',
  'forbidden',
  'insufficient_scope',
  'container_limit_reached',
  'resource_limit_exceeded',
  'image_not_allowed',
  'not_found',
  'name_taken',
  'invalid_state',
  'rate_limited',
  'too_many_execs',
  'invalid_path',
  'is_a_directory',
  'path_not_found',
  'path_exists',
  'payload_too_large',
  'disk_quota_exceeded',
  'range_not_satisfiable',
  'url_not_allowed',
  'internal',
  'no_capacity',
  'host_unavailable',
  'unavailable',
] as const;

export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One schema failure: `path` is dotted (`resources.cpu_millicores`), empty for the whole body. */
export const ValidationIssue = z.object({
  path: z.string().max(512),
  message: z.string().max(1024),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/**
 * `{error, code, ...details}`. Details depend on the code (`issues`, `limit`, `retry_after`,
 * `request_id`…), so unknown keys pass through.
 */
export const ErrorBody = z.looseObject({
  error: z.string().max(2048),
  code: ErrorCode,
  issues: z.array(ValidationIssue).max(100).optional(),
  request_id: z.string().max(128).optional(),
  retry_after: z.int().nonnegative().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Amounts a host reserves, as in the no_capacity details. */
const HostAmounts = z.object({
  cpu_millicores: z.int().nonnegative(),
  memory_mb: z.int().nonnegative(),
  disk_mb: z.int().nonnegative(),
});

/**
 * The details of a 503 `no_capacity`: why no host took the container and the largest request
 * (within the caller's tier) that one host could take now, null when none could.
 */
export const NoCapacityDetails = z.object({
  reason: z.enum(['no_host_online', 'no_host_schedulable', 'no_host_with_room']),
  requested_resources: HostAmounts,
  /** The first resource no single host has room for, when one alone is short. */
  resource: z.enum(['cpu_millicores', 'memory_mb', 'disk_mb']).optional(),
  hosts_online: z.int().nonnegative(),
  hosts_schedulable: z.int().nonnegative(),
  largest_fit: HostAmounts.nullable(),
});
export type NoCapacityDetails = z.infer<typeof NoCapacityDetails>;
