// API tokens: issue (secret shown once, only its hash stored), list without secrets, revoke, and
// authenticate a bearer token to its user, tier and scopes. Parsing the Authorization header and
// mapping routes to scopes are the HTTP layer's job; what a minted token may hold is token-grants'.
import type { TokenScope } from '@rexec/protocol';
import { and, asc, eq, getTableColumns, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { mapPrefixed, prefixedSelect } from '../db/map-row.js';
import type { Db } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import { apiTokens, type ApiTokenRow } from '../db/schema/api-tokens.js';
import { tiers, type TierRow } from '../db/schema/tiers.js';
import { users, type UserRow } from '../db/schema/users.js';
import { invalidRequest, notFound, unauthorized, userDisabled } from '../errors.js';
import { hashToken, isApiTokenShape, isId, newApiToken, newId, tokenPrefix } from '../ids.js';
import { recordEvent } from './events.js';
import type { TokenGrant } from './token-grants.js';

export interface CreatedToken {
  id: string;
  name: string;
  /** The secret; returned here only, never again. */
  token: string;
  token_prefix: string;
  scopes: TokenScope[];
  created_at: Date;
  expires_at: Date | null;
}

export type TokenSummary = Omit<ApiTokenRow, 'tokenHash'>;

export interface Authenticated {
  user: UserRow;
  tier: TierRow;
  tokenId: string;
  scopes: TokenScope[];
  /** null: the token never expires. */
  expiresAt: Date | null;
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

export interface CreateTokenOptions extends Partial<TokenGrant> {
  /** For bootstrap with a given secret; generated otherwise. */
  rawToken?: string;
}

/**
 * Issues a token (read and write, never expiring, unless `options` say otherwise). `db` may be a
 * transaction. Checking the grant against the minting token is token-grants' job.
 */
export async function createToken(
  db: Db,
  userId: string,
  name: string,
  options: CreateTokenOptions = {},
): Promise<CreatedToken> {
  checkTokenName(name);
  const rawToken = options.rawToken ?? newApiToken();
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(apiTokens)
      .values({
        id: newId('tok'),
        userId,
        name,
        tokenHash: hashToken(rawToken),
        tokenPrefix: tokenPrefix(rawToken),
        scopes: options.scopes ?? ['read', 'write'],
        expiresAt: options.expiresAt ?? null,
      })
      .returning();
    if (inserted === undefined) throw new Error('insert into api_tokens returned no row');
    await recordEvent(tx, {
      type: 'token.created',
      actorUserId: userId,
      detail: { token_id: inserted.id, scopes: inserted.scopes, expires_at: inserted.expiresAt },
    });
    return inserted;
  });
  return {
    id: row.id,
    name: row.name,
    token: rawToken,
    token_prefix: row.tokenPrefix,
    scopes: row.scopes,
    created_at: row.createdAt,
    expires_at: row.expiresAt,
  };
}

/** The user's tokens that are neither revoked nor expired, oldest first, without hashes. */
export async function listTokens(db: Db, userId: string): Promise<TokenSummary[]> {
  return db
    .select({
      id: apiTokens.id,
      userId: apiTokens.userId,
      name: apiTokens.name,
      tokenPrefix: apiTokens.tokenPrefix,
      scopes: apiTokens.scopes,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), notExpired()))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}

/** @throws RexecError not_found for an unknown, already revoked or someone else's token. */
export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!isId('tok', tokenId)) throw notFound('Token', tokenId);
  await db.transaction(async (tx) => {
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)),
      )
      .returning({ id: apiTokens.id });
    if (revoked.length === 0) throw notFound('Token', tokenId);
    await recordEvent(tx, {
      type: 'token.revoked',
      actorUserId: userId,
      detail: { token_id: tokenId },
    });
  });
}

function notExpired() {
  return or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`));
}

/**
 * Of `tokenIds`, those that still authenticate: not revoked, not expired, their user neither
 * disabled nor deleted. The terminal relay re-checks open terminals with it.
 */
export async function liveTokenIds(db: Db, tokenIds: readonly string[]): Promise<Set<string>> {
  if (tokenIds.length === 0) return new Set();
  const rows = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        inArray(apiTokens.id, [...tokenIds]),
        isNull(apiTokens.revokedAt),
        notExpired(),
        isNull(users.disabledAt),
        isNull(users.deletedAt),
      ),
    );
  return new Set(rows.map((row) => row.id));
}

/**
 * The checks after a token's row is found, shared by both lookup paths.
 * @throws RexecError unauthorized for an expired token, user_disabled for a disabled user.
 */
export function checkUsable(user: UserRow, expiresAt: Date | null, now: number): void {
  if (expiresAt !== null && expiresAt.getTime() <= now) {
    throw unauthorized(`The API token expired at ${expiresAt.toISOString()}.`);
  }
  if (user.disabledAt !== null || user.deletedAt !== null) throw userDisabled();
}

const TOKEN_COLUMNS = (({ id, lastUsedAt, scopes, expiresAt }) => ({
  id,
  lastUsedAt,
  scopes,
  expiresAt,
}))(getTableColumns(apiTokens));
const USER_COLUMNS = getTableColumns(users);
const TIER_COLUMNS = getTableColumns(tiers);

/**
 * The bearer token's live row with its user and tier, by the token's hash ($1): every column under
 * `t_`, `u_` and `r_` (callerOfRow reads them). Its text is fixed, so on Postgres it is a named
 * statement planned once per connection (db/prepared.ts), with no per-database cache to keep. It
 * reads the row on every call, so a revoked token fails on its next use on any replica.
 * http/auth-and-consume.ts draws a rate-limit point in the same round trip from it.
 */
export const CALLER_SELECT = `SELECT ${prefixedSelect('t', TOKEN_COLUMNS)},
      ${prefixedSelect('u', USER_COLUMNS)}, ${prefixedSelect('r', TIER_COLUMNS)}
    FROM api_tokens t
    JOIN users u ON u.id = t.user_id
    JOIN tiers r ON r.name = u.tier
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL`;

const AUTHENTICATE: PreparedStatement = { name: 'rexec_authenticate', text: CALLER_SELECT };

/** A CALLER_SELECT row as the caller, and when the token was last used. */
export function callerOfRow(row: Record<string, unknown>): Authenticated & {
  lastUsedAt: Date | null;
} {
  const token = mapPrefixed<Pick<ApiTokenRow, 'id' | 'lastUsedAt' | 'scopes' | 'expiresAt'>>(
    't',
    TOKEN_COLUMNS,
    row,
  );
  return {
    user: mapPrefixed<UserRow>('u', USER_COLUMNS, row),
    tier: mapPrefixed<TierRow>('r', TIER_COLUMNS, row),
    tokenId: token.id,
    scopes: token.scopes,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
  };
}

/**
 * The token's user, tier and scopes, or null for a malformed, unknown or revoked token.
 * @throws RexecError unauthorized (expired), user_disabled.
 */
export async function authenticate(db: Db, rawToken: string): Promise<Authenticated | null> {
  if (!isApiTokenShape(rawToken)) return null;
  const [row] = await queryPrepared(db, AUTHENTICATE, [hashToken(rawToken)]);
  if (row === undefined) return null;
  const { lastUsedAt, ...caller } = callerOfRow(row);
  const now = Date.now();
  checkUsable(caller.user, caller.expiresAt, now);
  await touchLastUsed(db, caller.tokenId, lastUsedAt, now);
  return caller;
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
