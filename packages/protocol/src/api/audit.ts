// Audit log bodies (DESIGN §8.3): one entry per state-changing API call, successful or not, and
// the admin's query. What counts as a change and how an entry is written is the control plane's.
import { z } from 'zod';
import { Timestamp, TokenId, UserId } from './common.js';

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export const AuditOutcome = z.enum(AUDIT_OUTCOMES);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditEntryId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'an audit entry id');

export const AuditEntry = z.object({
  id: AuditEntryId,
  at: Timestamp,
  /** Absent when the caller could not be identified (a missing or unknown token). */
  actor_user_id: UserId.optional(),
  actor_token_id: TokenId.optional(),
  /** `<target>.<verb>`: `container.create`, `container.stop`, `host.cordon`, `token.delete`… */
  action: z.string().max(128),
  target_type: z.string().max(64),
  target_id: z.string().max(256).optional(),
  ip: z.string().max(64),
  user_agent: z.string().max(512).optional(),
  request_id: z.string().max(64),
  outcome: AuditOutcome,
  /** The HTTP status the call was answered with. */
  status_code: z.int(),
  /** The error code of a failed call. */
  error_code: z.string().max(64).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditList = z.object({
  entries: z.array(AuditEntry),
  /** Pass back as `cursor` for older entries; null on the last page. */
  next_cursor: AuditEntryId.nullable(),
});
export type AuditList = z.infer<typeof AuditList>;

export const DEFAULT_AUDIT_PAGE = 100;
export const MAX_AUDIT_PAGE = 1000;

export const AuditQuery = z.strictObject({
  cursor: AuditEntryId.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(DEFAULT_AUDIT_PAGE),
  user_id: UserId.optional(),
  action: z.string().max(128).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
