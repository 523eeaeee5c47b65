// Hosts as the admin API sees them: list, get, cordon/uncordon/drain, and join tokens for new
// agents. Trading a join token for a host and credential is host-enrollment.ts; connectivity
// (online/unreachable, heartbeats) is the agent hub's (hub/host-presence.ts).
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { hostJoinTokens, type HostJoinTokenRow } from '../db/schema/host-join-tokens.js';
import { hosts, type HostRow, type HostScheduling } from '../db/schema/hosts.js';
import { invalidRequest, invalidState, notFound } from '../errors.js';
import { hashToken, isId, newId } from '../ids.js';
import { recordEvent } from './events.js';
import { failedRequiredChecks } from './host-health.js';

/** What an admin may set; `unhealthy` is the control plane's own (hub/host-presence.ts). */
export const HOST_SCHEDULING_STATES: readonly HostScheduling[] = ['active', 'cordoned', 'draining'];
export const DEFAULT_JOIN_TOKEN_SECONDS = 3600;
export const MAX_JOIN_TOKEN_SECONDS = 30 * 24 * 3600;
const JOIN_TOKEN_PATTERN = /^rexec_join_[0-9a-f]{64}$/;

export async function listHosts(db: Db): Promise<HostRow[]> {
  return db.select().from(hosts).orderBy(asc(hosts.name), asc(hosts.id));
}

/** @throws RexecError not_found. */
export async function getHost(db: Db, id: string): Promise<HostRow> {
  if (!isId('hst', id)) throw notFound('Host', id);
  const [row] = await db.select().from(hosts).where(eq(hosts.id, id));
  if (row === undefined) throw notFound('Host', id);
  return row;
}

/**
 * Cordoned and draining hosts get no new containers; moving containers off a draining host is the
 * reconciler's job. Uncordoning a host whose agent reports a failed required check makes it
 * `unhealthy`, not `active`. Idempotent. A `pending` host must be approved first.
 * @throws RexecError not_found, invalid_request, invalid_state (pending).
 */
export async function setScheduling(
  db: Db,
  id: string,
  scheduling: HostScheduling,
  actorUserId: string | null = null,
): Promise<HostRow> {
  if (!HOST_SCHEDULING_STATES.includes(scheduling)) {
    throw invalidRequest(`Unknown scheduling state ${String(scheduling)}.`, [
      { path: 'scheduling', message: `expected one of ${HOST_SCHEDULING_STATES.join(', ')}` },
    ]);
  }
  const current = await getHost(db, id);
  if (current.scheduling === 'pending') {
    throw invalidState(
      'The host awaits approval; approve it (POST /hosts/:id/approve) before changing its scheduling.',
      'pending',
    );
  }
  const target =
    scheduling === 'active' && failedRequiredChecks(current.health).length > 0
      ? 'unhealthy'
      : scheduling;
  if (current.scheduling === target) return current;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(hosts)
      .set({ scheduling: target })
      .where(eq(hosts.id, id))
      .returning();
    if (row === undefined) throw notFound('Host', id);
    await recordEvent(tx, {
      type: `host.${scheduling === 'active' ? 'uncordoned' : scheduling}`,
      actorUserId,
      hostId: id,
      detail: { from: current.scheduling, to: target },
    });
    return row;
  });
}

export interface CreateJoinTokenInput {
  /** 1 s to 30 days; one hour by default. */
  expiresInSeconds?: number;
  createdBy: string | null;
}

export interface CreatedJoinToken {
  id: string;
  /** The secret for REXEC_JOIN_TOKEN; returned here only. */
  token: string;
  expires_at: Date;
}

/** @throws RexecError invalid_request for an out-of-range lifetime. */
export async function createJoinToken(
  db: Db,
  input: CreateJoinTokenInput,
): Promise<CreatedJoinToken> {
  const seconds = input.expiresInSeconds ?? DEFAULT_JOIN_TOKEN_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_JOIN_TOKEN_SECONDS) {
    throw invalidRequest(
      `expires_in_seconds must be an integer from 1 to ${MAX_JOIN_TOKEN_SECONDS}.`,
      [{ path: 'expires_in_seconds', message: `expected 1 to ${MAX_JOIN_TOKEN_SECONDS}` }],
    );
  }
  const token = `rexec_join_${randomBytes(32).toString('hex')}`;
  const expiresAt = new Date(Date.now() + seconds * 1000);
  const id = newId('jtk');
  await db.transaction(async (tx) => {
    await tx.insert(hostJoinTokens).values({
      id,
      tokenHash: hashToken(token),
      expiresAt,
      createdBy: input.createdBy,
    });
    await recordEvent(tx, {
      type: 'host.join_token_created',
      actorUserId: input.createdBy,
      detail: { join_token_id: id, expires_at: expiresAt.toISOString() },
    });
  });
  return { id, token, expires_at: expiresAt };
}

/** True when `value` has the shape of a join token (it may still be unknown, used or expired). */
export function isJoinTokenShape(value: string): boolean {
  return JOIN_TOKEN_PATTERN.test(value);
}

/**
 * Lets a `pending` host (joined under REXEC_HOST_APPROVAL=manual) take work: `active`, or
 * `unhealthy` while its agent reports a failed required check. Any other host is returned as it
 * is. @throws RexecError not_found.
 */
export async function approveHost(
  db: Db,
  id: string,
  actorUserId: string | null,
): Promise<HostRow> {
  const current = await getHost(db, id);
  if (current.scheduling !== 'pending') return current;
  const target = failedRequiredChecks(current.health).length > 0 ? 'unhealthy' : 'active';
  const row = await db.transaction(async (tx) => {
    const [approved] = await tx
      .update(hosts)
      .set({ scheduling: target })
      .where(and(eq(hosts.id, id), eq(hosts.scheduling, 'pending')))
      .returning();
    if (approved === undefined) return undefined;
    await recordEvent(tx, {
      type: 'host.approved',
      actorUserId,
      hostId: id,
      detail: { from: 'pending', to: target },
    });
    return approved;
  });
  // Approved by someone else in between: theirs stands.
  return row ?? getHost(db, id);
}

/** Newest first; the secrets are never stored, so never listed. */
export async function listJoinTokens(db: Db): Promise<HostJoinTokenRow[]> {
  return db
    .select()
    .from(hostJoinTokens)
    .orderBy(desc(hostJoinTokens.createdAt), asc(hostJoinTokens.id));
}

/**
 * Deletes a join token so it can no longer enroll a host (hosts it enrolled keep their
 * credentials: revoke those with POST /hosts/:id/revoke). @throws RexecError not_found.
 */
export async function revokeJoinToken(
  db: Db,
  id: string,
  actorUserId: string | null,
): Promise<void> {
  if (!isId('jtk', id)) throw notFound('Join token', id);
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(hostJoinTokens)
      .where(eq(hostJoinTokens.id, id))
      .returning({ id: hostJoinTokens.id, usedAt: hostJoinTokens.usedAt });
    if (row === undefined) throw notFound('Join token', id);
    await recordEvent(tx, {
      type: 'host.join_token_revoked',
      actorUserId,
      detail: { join_token_id: id, was_used: row.usedAt !== null },
    });
  });
}
