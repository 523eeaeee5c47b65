// What a new API token may hold, decided from the token that mints it: never more scopes, never a
// later expiry, and `admin` only for administrators. Pure: storing the token is tokens.ts's job.
import { TOKEN_SCOPES, type TokenScope } from '@rexec/protocol';
import { forbidden, insufficientScope, invalidRequest } from '../errors.js';

const DAY_MS = 86_400_000;

export interface TokenGrant {
  scopes: TokenScope[];
  /** null: never expires. */
  expiresAt: Date | null;
}

export interface Minter {
  isAdmin: boolean;
  scopes: readonly TokenScope[];
  expiresAt: Date | null;
}

export interface GrantRequest {
  scopes?: readonly TokenScope[];
  expiresInDays?: number;
}

/** Every scope a user's first token (and a pre-scopes token) gets: admin for administrators. */
export function fullScopes(isAdmin: boolean): TokenScope[] {
  return TOKEN_SCOPES.filter((scope) => isAdmin || scope !== 'admin');
}

/**
 * The scopes and expiry of a token `minter` asks for. Omitted scopes are the minter's own; an
 * omitted lifetime is the minter's own expiry.
 * @throws RexecError forbidden (admin scope for a non-admin), insufficient_scope (a scope the
 *   minter lacks), invalid_request (an expiry after the minter's).
 */
export function grantFor(minter: Minter, request: GrantRequest, now: Date): TokenGrant {
  const wanted = request.scopes ?? minter.scopes;
  if (wanted.includes('admin') && !minter.isAdmin) {
    throw forbidden('Only administrators can make tokens with the "admin" scope.');
  }
  const missing = wanted.find((scope) => !minter.scopes.includes(scope));
  if (missing !== undefined) {
    throw insufficientScope(
      missing,
      `This token lacks the "${missing}" scope, so it cannot make a token that has it.`,
    );
  }
  const scopes = TOKEN_SCOPES.filter((scope) => wanted.includes(scope));
  if (request.expiresInDays === undefined) return { scopes, expiresAt: minter.expiresAt };
  const expiresAt = new Date(now.getTime() + request.expiresInDays * DAY_MS);
  if (minter.expiresAt !== null && expiresAt > minter.expiresAt) {
    const daysLeft = Math.floor((minter.expiresAt.getTime() - now.getTime()) / DAY_MS);
    throw invalidRequest(
      `This token expires at ${minter.expiresAt.toISOString()}; a token it makes cannot outlive it.`,
      [{ path: 'expires_in_days', message: `at most ${Math.max(daysLeft, 0)} for this token` }],
    );
  }
  return { scopes, expiresAt };
}
