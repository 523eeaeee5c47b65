// API token REST bodies. A token's secret appears only in TokenCreated; lists never carry it.
// Hashing and generation are the control plane's.
import { z } from 'zod';
import { Timestamp, TokenId } from './common.js';

/** What a token may do: `read` for GETs, `write` for changes, `admin` for admin routes. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export const TokenScope = z.enum(TOKEN_SCOPES);
export type TokenScope = z.infer<typeof TokenScope>;

/** Longest lifetime a new token may ask for (ten years). */
export const MAX_TOKEN_LIFETIME_DAYS = 3650;

/**
 * Omitted `scopes` means the minting token's own scopes; omitted `expires_in_days` its own expiry
 * (none for a token that never expires). Neither may exceed the minting token's.
 */
export const TokenCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(TokenScope)
    .min(1)
    .max(TOKEN_SCOPES.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, 'scopes must not repeat')
    .optional(),
  expires_in_days: z.int().min(1).max(MAX_TOKEN_LIFETIME_DAYS).optional(),
});
export type TokenCreate = z.infer<typeof TokenCreate>;

export const Token = z.object({
  id: TokenId,
  name: z.string().max(128),
  /** The first characters of the secret, so a user can tell tokens apart. */
  token_prefix: z.string().max(32),
  scopes: z.array(TokenScope),
  created_at: Timestamp,
  /** Absent for a token that never expires. */
  expires_at: Timestamp.optional(),
  last_used_at: Timestamp.optional(),
});
export type Token = z.infer<typeof Token>;

export const TokenCreated = z.object({
  id: TokenId,
  name: z.string().max(128),
  token: z.string().max(128),
  token_prefix: z.string().max(32),
  scopes: z.array(TokenScope),
  created_at: Timestamp,
  expires_at: Timestamp.optional(),
});
export type TokenCreated = z.infer<typeof TokenCreated>;

export const TokenList = z.object({ tokens: z.array(Token) });
export type TokenList = z.infer<typeof TokenList>;
