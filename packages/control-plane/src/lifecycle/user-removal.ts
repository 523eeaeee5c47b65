// Deleting a user (admin `DELETE /users/:id`): the user is disabled first so its tokens stop at
// once, each live container goes through the ordinary delete (hosts really remove it and its
// volume; one on an absent host stays `deleting` until that host's next HELLO, as for any delete),
// then the tokens are removed and the user row is marked deleted (kept so history can name it).
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { apiTokens } from '../db/schema/api-tokens.js';
import { containers } from '../db/schema/containers.js';
import { users } from '../db/schema/users.js';
import { forbidden, isRexecError, notFound } from '../errors.js';
import { recordEvent } from '../services/events.js';
import { getUser, updateUser } from '../services/users.js';
import { deleteContainer, type LifecycleDeps } from './actions.js';

export interface UserRemoval {
  /** Containers removed from their hosts (or never placed). */
  removed: number;
  /** Containers left `deleting` because their host is away; reconciliation finishes them. */
  deleting: number;
}

/**
 * @throws RexecError not_found (unknown or already deleted), forbidden (deleting yourself). A
 *   failure part-way leaves the user disabled and not deleted, so the admin can retry.
 */
export async function removeUser(
  deps: LifecycleDeps,
  userId: string,
  actorUserId: string,
): Promise<UserRemoval> {
  if (userId === actorUserId) throw forbidden('An administrator cannot delete themselves.');
  await getUser(deps.db, userId);
  await updateUser(deps.db, userId, { disabled: true, actorUserId });
  const outcome: UserRemoval = { removed: 0, deleting: 0 };
  for (const id of await liveContainerIds(deps.db, userId)) {
    try {
      const result = await deleteContainer(deps, userId, id);
      outcome[result.kind === 'removed' ? 'removed' : 'deleting'] += 1;
    } catch (error) {
      // A concurrent delete finished it first: it is gone either way.
      if (!isRexecError(error, 'not_found')) throw error;
      outcome.removed += 1;
    }
  }
  await markDeleted(deps.db, userId, actorUserId, outcome);
  return outcome;
}

async function liveContainerIds(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: containers.id })
    .from(containers)
    .where(and(eq(containers.userId, userId), isNull(containers.deletedAt)));
  return rows.map((row) => row.id);
}

async function markDeleted(
  db: Db,
  userId: string,
  actorUserId: string,
  outcome: UserRemoval,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(apiTokens).where(eq(apiTokens.userId, userId));
    // The email is freed so the address can belong to a new user.
    const marked = await tx
      .update(users)
      .set({ deletedAt: new Date(), email: null })
      .where(and(eq(users.id, userId), isNull(users.deletedAt)))
      .returning({ id: users.id });
    if (marked.length === 0) throw notFound('User', userId);
    await recordEvent(tx, {
      type: 'user.deleted',
      actorUserId,
      detail: {
        user_id: userId,
        containers_removed: outcome.removed,
        containers_deleting: outcome.deleting,
      },
    });
  });
}
