// API tokens: issue (secret shown once, only its hash stored), list without secrets, revoke, and
// authenticate a bearer token to its user and tier. Parsing the Authorization header is the HTTP
// layer's job.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { apiTokens, type ApiTokenRow } from '../db/schema/api-tokens.js';
import { tiers, type TierRow } from '../db/schema/tiers.js';
import { users, type UserRow } from '../db/schema/users.js';
import { invalidRequest, notFound } from '../errors.js';
import { hashToken, isApiTokenShape, isId, newApiToken, newId, tokenPrefix } from '../ids.js';
import { recordEvent } from './events.js';

export interface CreatedToken {
  id: string;
  name: string;
  /** The secret; returned here only, never again. */
  token: string;
  token_prefix: string;
  created_at: Date;
}

export type TokenSummary = Omit<ApiTokenRow, 'tokenHash'>;

export interface Authenticated {
  user: UserRow;
  tier: TierRow;
  tokenId: string;
}

const MAX_TOKEN_NAME_LENGTH = 100;
/** last_used_at is refreshed at most this often so authenticated reads stay read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

function checkTokenName(name: string): void {
  if (name.trim() === '' || name.length > MAX_TOKEN_NAME_LENGTH) {
    throw invalidRequest(`A token name is 1 to ${MAX_TOKEN_NAME_LENGTH} characters.`, [
      { path: 'name', message: `expected 1 to ${MAX_TOKEN_NAME_LENGTH} characters` },
    ]);
  }
}

/** Issues a token. `db` may be a transaction; `rawToken` is for bootstrap with a given secret. */
export async function createToken(
  db: Db,
  userId: string,
  name: string,
  rawToken: string = newApiToken(),
): Promise<CreatedToken> {
  checkTokenName(name);
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: newId('tok'),
      userId,
      name,
      tokenHash: hashToken(rawToken),
      tokenPrefix: tokenPrefix(rawToken),
    })
    .returning();
  if (row === undefined) throw new Error('insert into api_tokens returned no row');
  await recordEvent(db, {
    type: 'token.created',
    actorUserId: userId,
    detail: { token_id: row.id },
  });
  return {
    id: row.id,
    name: row.name,
    token: rawToken,
    token_prefix: row.tokenPrefix,
    created_at: row.createdAt,
  };
}

/** The user's tokens that still work, oldest first, without hashes. */
export async function listTokens(db: Db, userId: string): Promise<TokenSummary[]> {
  return db
    .select({
      id: apiTokens.id,
      userId: apiTokens.userId,
      name: apiTokens.name,
      tokenPrefix: apiTokens.tokenPrefix,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}

/** @throws RexecError not_found for an unknown, already revoked or someone else's token. */
export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!isId('tok', tokenId)) throw notFound('Token', tokenId);
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(
      and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)),
    )
    .returning({ id: apiTokens.id });
  if (revoked.length === 0) throw notFound('Token', tokenId);
  await recordEvent(db, {
    type: 'token.revoked',
    actorUserId: userId,
    detail: { token_id: tokenId },
  });
}

// authenticate runs on every API request, so its lookup is a named prepared statement: built once
// per database handle, parsed and planned once per Postgres connection. It still reads the row on
// every call, so a revoked token fails on its next use on any replica.
function prepareAuthLookup(db: Db) {
  return db
    .select({ tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt, user: users, tier: tiers })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .innerJoin(tiers, eq(tiers.name, users.tier))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('hash')), isNull(apiTokens.revokedAt)))
    .prepare('rexec_authenticate');
}

const authLookups = new WeakMap<Db, ReturnType<typeof prepareAuthLookup>>();

/** The token's user and tier, or null for a malformed, unknown or revoked token. */
export async function authenticate(db: Db, rawToken: string): Promise<Authenticated | null> {
  if (!isApiTokenShape(rawToken)) return null;
  let lookup = authLookups.get(db);
  if (lookup === undefined) {
    lookup = prepareAuthLookup(db);
    authLookups.set(db, lookup);
  }
  const [row] = await lookup.execute({ hash: hashToken(rawToken) });
  if (row === undefined) return null;
  await touchLastUsed(db, row.tokenId, row.lastUsedAt, Date.now());
  return { user: row.user, tier: row.tier, tokenId: row.tokenId };
}

/** Records a token's use at `now` unless last_used_at is fresher than LAST_USED_RESOLUTION_MS. */
export async function touchLastUsed(
  db: Db,
  tokenId: string,
  lastUsedAt: Date | null,
  now: number,
): Promise<void> {
  if (lastUsedAt !== null && now - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  await db
    .update(apiTokens)
    .set({ lastUsedAt: new Date(now) })
    .where(eq(apiTokens.id, tokenId));
}
