// API token REST bodies. A token's secret appears only in TokenCreated; lists never carry it.
// Hashing and generation are the control plane's.
import { z } from 'zod';
import { Timestamp, TokenId } from './common.js';

export const TokenCreate = z.strictObject({ name: z.string().trim().min(1).max(100) });
export type TokenCreate = z.infer<typeof TokenCreate>;

export const Token = z.object({
  id: TokenId,
  name: z.string().max(128),
  /** The first characters of the secret, so a user can tell tokens apart. */
  token_prefix: z.string().max(32),
  created_at: Timestamp,
  last_used_at: Timestamp.optional(),
});
export type Token = z.infer<typeof Token>;

export const TokenCreated = z.object({
  id: TokenId,
  name: z.string().max(128),
  token: z.string().max(128),
  token_prefix: z.string().max(32),
  created_at: Timestamp,
});
export type TokenCreated = z.infer<typeof TokenCreated>;

export const TokenList = z.object({ tokens: z.array(Token) });
export type TokenList = z.infer<typeof TokenList>;
