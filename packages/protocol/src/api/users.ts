// User REST bodies: the user object, admin create/patch, and `GET /me`.
// Tokens have their own file; the first token returned by `POST /users` uses TokenCreated's secret.
import { z } from 'zod';
import { Timestamp, UserId } from './common.js';
import { Tier, TierName } from './tiers.js';

export const UserName = z.string().trim().min(1).max(128);
export const Email = z.email().max(254);

export const User = z.object({
  id: UserId,
  name: z.string().max(128),
  email: z.string().max(254).optional(),
  tier: TierName,
  is_admin: z.boolean(),
  /** A disabled user's tokens are refused with 401 user_disabled and their terminals closed. */
  disabled: z.boolean(),
  created_at: Timestamp,
});
export type User = z.infer<typeof User>;

export const UserList = z.object({ users: z.array(User) });
export type UserList = z.infer<typeof UserList>;

export const UserCreate = z.strictObject({
  name: UserName,
  email: Email.optional(),
  tier: TierName.optional(),
  is_admin: z.boolean().optional(),
});
export type UserCreate = z.infer<typeof UserCreate>;

/** `token` is the user's first API token, shown only in this answer. */
export const UserCreated = z.object({ user: User, token: z.string().max(128) });
export type UserCreated = z.infer<typeof UserCreated>;

export const UserPatch = z
  .strictObject({ tier: TierName.optional(), disabled: z.boolean().optional() })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field must be given');
export type UserPatch = z.infer<typeof UserPatch>;

export const Usage = z.object({
  containers: z.int().nonnegative(),
  cpu_millicores: z.int().nonnegative(),
  memory_mb: z.int().nonnegative(),
  disk_mb: z.int().nonnegative(),
  /** Disk measured in use across the user's containers (`disk_mb` is what they reserve). */
  disk_used_mb: z.int().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

export const Me = z.object({
  user: User.pick({ id: true, name: true, email: true, tier: true, is_admin: true }),
  tier: Tier,
  usage: Usage,
});
export type Me = z.infer<typeof Me>;
