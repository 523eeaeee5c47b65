// Host enrollment and credentials: a single-use join token is traded for a new host and its
// credential (only the SHA-256 is stored); the hub checks credentials before upgrading a socket.
// Every enrollment creates a new host row: names are labels, not identities.
import { randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { hostCredentials } from '../db/schema/host-credentials.js';
import { hostJoinTokens } from '../db/schema/host-join-tokens.js';
import { hosts } from '../db/schema/hosts.js';
import { unauthorized } from '../errors.js';
import { hashToken, newId } from '../ids.js';
import { recordEvent } from './events.js';
import { isJoinTokenShape } from './hosts.js';

const CREDENTIAL_PATTERN = /^rexec_host_[0-9a-f]{64}$/;

/** REXEC_HOST_APPROVAL: `manual` enrolls hosts as `pending` until an admin approves them. */
export type HostApproval = 'auto' | 'manual';

export interface EnrollInput {
  joinToken: string;
  hostName: string;
  agentVersion: string;
  /** `auto` when omitted. */
  approval?: HostApproval;
}

export interface Enrolled {
  hostId: string;
  hostName: string;
  /** The secret the agent authenticates with from now on; returned here only. */
  credential: string;
}

export interface AuthenticatedHost {
  hostId: string;
  hostName: string;
}

/**
 * Uses up the join token and creates the host (unreachable until its first HELLO; `pending` under
 * manual approval) and its credential in one transaction. @throws RexecError unauthorized for an unknown, used or expired
 * join token (one message for all three, so probing learns nothing).
 */
export async function enrollHost(db: Db, input: EnrollInput): Promise<Enrolled> {
  const refused = unauthorized('The join token is unknown, already used or expired.');
  if (!isJoinTokenShape(input.joinToken)) throw refused;
  return db.transaction(async (tx) => {
    const [token] = await tx
      .select()
      .from(hostJoinTokens)
      .where(eq(hostJoinTokens.tokenHash, hashToken(input.joinToken)))
      .for('update');
    if (token === undefined || token.usedAt !== null || token.expiresAt <= new Date()) {
      throw refused;
    }
    await tx
      .update(hostJoinTokens)
      .set({ usedAt: new Date() })
      .where(eq(hostJoinTokens.id, token.id));
    const hostId = newId('hst');
    const scheduling = input.approval === 'manual' ? 'pending' : 'active';
    await tx
      .insert(hosts)
      .values({ id: hostId, name: input.hostName, status: 'unreachable', scheduling });
    const credential = `rexec_host_${randomBytes(32).toString('hex')}`;
    await tx.insert(hostCredentials).values({
      id: newId('hcr'),
      hostId,
      credentialHash: hashToken(credential),
    });
    await recordEvent(tx, {
      type: 'host.enrolled',
      actorUserId: token.createdBy,
      hostId,
      detail: {
        join_token_id: token.id,
        host_name: input.hostName,
        agent_version: input.agentVersion,
        scheduling,
      },
    });
    return { hostId, hostName: input.hostName, credential };
  });
}

/** The host a credential belongs to, or null when it is malformed, unknown or revoked. */
export async function authenticateHost(
  db: Db,
  credential: string,
): Promise<AuthenticatedHost | null> {
  if (!CREDENTIAL_PATTERN.test(credential)) return null;
  const [row] = await db
    .select({ hostId: hosts.id, hostName: hosts.name })
    .from(hostCredentials)
    .innerJoin(hosts, eq(hosts.id, hostCredentials.hostId))
    .where(
      and(
        eq(hostCredentials.credentialHash, hashToken(credential)),
        isNull(hostCredentials.revokedAt),
      ),
    );
  return row ?? null;
}

/**
 * Revokes every live credential of a host and marks it unreachable, in one transaction: its agent
 * can no longer connect (HTTP 401 on upgrade) and the caller closes a live session with 4004.
 * Idempotent: revoking again changes nothing and records nothing. @throws RexecError not_found.
 */
export async function revokeHostCredentials(
  db: Db,
  hostId: string,
  actorUserId: string | null,
): Promise<void> {
  await db.transaction(async (tx) => {
    const revoked = await tx
      .update(hostCredentials)
      .set({ revokedAt: new Date() })
      .where(and(eq(hostCredentials.hostId, hostId), isNull(hostCredentials.revokedAt)))
      .returning({ id: hostCredentials.id });
    if (revoked.length === 0) return;
    await recordEvent(tx, {
      type: 'host.credential_revoked',
      actorUserId,
      hostId,
      detail: { credentials: revoked.length },
    });
    const lost = await tx
      .update(hosts)
      .set({ status: 'unreachable' })
      .where(and(eq(hosts.id, hostId), eq(hosts.status, 'online')))
      .returning({ id: hosts.id });
    if (lost.length > 0) {
      await recordEvent(tx, { type: 'host.unreachable', hostId, reason: 'credential_revoked' });
    }
  });
}
