// Whether a container's host took it away (lost or removed): such a row is `error`, holds no host
// reservation and no quota, and is deleted without asking an agent. Which reasons count is
// HOST_GONE_REASONS's (db/schema/containers.ts), shared with the SQL that counts quota.
import { HOST_GONE_REASONS } from '../db/schema/containers.js';

export function isHostGone(row: { status: string; statusReason: string | null }): boolean {
  return (
    row.status === 'error' &&
    (HOST_GONE_REASONS as readonly string[]).includes(row.statusReason ?? '')
  );
}
