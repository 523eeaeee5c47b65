// Users: admin creation (with the user's first API token), listing, tier changes, disabling, and
// the bootstrap admin created on an empty database. Printing or writing the bootstrap token is
// main.ts's job; deleting a user (and its containers) is user-deletion.ts's.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { users, type UserRow } from '../db/schema/users.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { forbidden, invalidRequest, isRexecError, notFound } from '../errors.js';
import { isApiTokenShape, isId, newApiToken, newId } from '../ids.js';
import { recordEvent } from './events.js';
import { DEFAULT_TIER, getTier } from './tiers.js';
import { fullScopes } from './token-grants.js';
import { createToken, type CreatedToken } from './tokens.js';

export interface CreateUserInput {
  name: string;
  email?: string | null;
  tier?: string;
  isAdmin?: boolean;
  /** Who is creating the user, for the audit log. */
  actorUserId?: string | null;
}

export interface CreatedUser {
  user: UserRow;
  /** The user's first API token, named "default". */
  token: CreatedToken;
}

export const BOOTSTRAP_ADMIN_NAME = 'admin';
const BOOTSTRAP_ADMIN_TIER = 'enterprise';
/** Serialises bootstrap across replicas; any fixed key works if every replica uses it. */
const BOOTSTRAP_LOCK_KEY = 0x726578656301;
const MAX_NAME_LENGTH = 200;

/** @throws RexecError invalid_request for an unknown tier, a bad name or an email already in use. */
export async function createUser(db: Db, input: CreateUserInput): Promise<CreatedUser> {
  return db.transaction((tx) => createUserIn(tx, input, newApiToken()));
}

async function createUserIn(
  db: Db,
  input: CreateUserInput,
  rawToken: string,
): Promise<CreatedUser> {
  if (input.name.trim() === '' || input.name.length > MAX_NAME_LENGTH) {
    throw invalidRequest(`A user name is 1 to ${MAX_NAME_LENGTH} characters.`, [
      { path: 'name', message: `expected 1 to ${MAX_NAME_LENGTH} characters` },
    ]);
  }
  const tier = input.tier ?? DEFAULT_TIER;
  await requireTier(db, tier);
  let user: UserRow | undefined;
  try {
    [user] = await db
      .insert(users)
      .values({
        id: newId('usr'),
        name: input.name,
        email: input.email ?? null,
        tier,
        isAdmin: input.isAdmin ?? false,
      })
      .returning();
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_unique')) {
      throw invalidRequest('That email address is already used by another user.', [
        { path: 'email', message: 'already in use' },
      ]);
    }
    throw error;
  }
  if (user === undefined) throw new Error('insert into users returned no row');
  await recordEvent(db, {
    type: 'user.created',
    actorUserId: input.actorUserId ?? null,
    detail: { user_id: user.id, tier, is_admin: user.isAdmin },
  });
  const token = await createToken(db, user.id, 'default', {
    rawToken,
    scopes: fullScopes(user.isAdmin),
  });
  return { user, token };
}

async function requireTier(db: Db, tier: string): Promise<void> {
  try {
    await getTier(db, tier);
  } catch (error) {
    if (isRexecError(error, 'not_found')) {
      throw invalidRequest(`There is no tier named ${tier}.`, [
        { path: 'tier', message: 'unknown tier' },
      ]);
    }
    throw error;
  }
}

/** Every user not deleted, oldest first. */
export async function listUsers(db: Db): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(isNull(users.deletedAt))
    .orderBy(asc(users.createdAt), asc(users.id));
}

/** @throws RexecError not_found, also for a deleted user. */
export async function getUser(db: Db, id: string): Promise<UserRow> {
  if (!isId('usr', id)) throw notFound('User', id);
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  if (row === undefined) throw notFound('User', id);
  return row;
}

export interface UpdateUserInput {
  tier?: string;
  /** true refuses all the user's tokens (401 user_disabled); false lets them work again. */
  disabled?: boolean;
  actorUserId?: string | null;
}

/**
 * @throws RexecError not_found for an unknown user, invalid_request for an unknown tier,
 *   forbidden for an administrator disabling themselves.
 */
export async function updateUser(db: Db, id: string, patch: UpdateUserInput): Promise<UserRow> {
  let current = await getUser(db, id);
  if (patch.disabled !== undefined && patch.disabled !== (current.disabledAt !== null)) {
    current = await setDisabled(db, current, patch.disabled, patch.actorUserId ?? null);
  }
  if (patch.tier === undefined || patch.tier === current.tier) return current;
  await requireTier(db, patch.tier);
  const tier = patch.tier;
  const from = current.tier;
  return db.transaction(async (tx) => {
    const [row] = await tx.update(users).set({ tier }).where(eq(users.id, id)).returning();
    if (row === undefined) throw notFound('User', id);
    await recordEvent(tx, {
      type: 'user.tier_changed',
      actorUserId: patch.actorUserId ?? null,
      detail: { user_id: id, from, to: tier },
    });
    return row;
  });
}

async function setDisabled(
  db: Db,
  current: UserRow,
  disabled: boolean,
  actorUserId: string | null,
): Promise<UserRow> {
  if (disabled && actorUserId === current.id) {
    throw forbidden('An administrator cannot disable themselves.');
  }
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ disabledAt: disabled ? new Date() : null })
      .where(and(eq(users.id, current.id), isNull(users.deletedAt)))
      .returning();
    if (row === undefined) throw notFound('User', current.id);
    await recordEvent(tx, {
      type: disabled ? 'user.disabled' : 'user.enabled',
      actorUserId,
      detail: { user_id: current.id },
    });
    return row;
  });
}

export interface BootstrapResult {
  created: boolean;
  /** The admin's token when one was created (the given one, or a generated one). */
  token?: string;
  userId?: string;
}

/**
 * Creates the first admin when the database has no users; a no-op otherwise, so every start may
 * call it. Needs the tiers seeded first.
 * @throws RexecError invalid_request when a given token does not look like `rexec_` + 64 hex.
 */
export async function bootstrapAdmin(
  db: Db,
  options: { token?: string } = {},
): Promise<BootstrapResult> {
  const rawToken = options.token ?? newApiToken();
  if (!isApiTokenShape(rawToken)) {
    throw invalidRequest('The bootstrap admin token must be "rexec_" followed by 64 hex digits.', [
      { path: 'token', message: 'malformed token' },
    ]);
  }
  return db.transaction(async (tx) => {
    // Two replicas starting on an empty database must not both create an admin.
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`);
    const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing !== undefined) return { created: false };
    const { user } = await createUserIn(
      tx,
      { name: BOOTSTRAP_ADMIN_NAME, tier: BOOTSTRAP_ADMIN_TIER, isAdmin: true },
      rawToken,
    );
    return { created: true, token: rawToken, userId: user.id };
  });
}
