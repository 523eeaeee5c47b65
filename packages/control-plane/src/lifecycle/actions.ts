// A user's start, stop and delete, carried out by the container's agent through the hub, and the
// launch that follows a create. Answers that need no host (already in the wanted state, never
// placed) are final at once; a host that is not connected is 503 host_unavailable for start/stop
// and a 202 `deleting` for delete, finished by reconciliation when the host is back.
import {
  COMMAND_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_SECONDS,
  stopCommand,
  type AgentCommandResult,
  type ContainerCommand,
} from '@rexec/protocol';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import { hostUnavailable, internal, invalidState, notFound, type RexecError } from '../errors.js';
import { CommandTimeoutError, HubStoppedError, type CommandChannel } from '../hub/channel.js';
import type { Log } from '../hub/log.js';
import { getContainer } from '../services/containers.js';
import { recordEvent } from '../services/events.js';
import { isHostGone } from './host-gone.js';
import { containerSpec } from './spec.js';
import {
  applyCreateResult,
  commandDetail,
  markError,
  markRunning,
  markStopped,
  type LifecycleStore,
} from './outcomes.js';
import { finishDelete, loadContainer, sessionHours, transition } from './transitions.js';
import { retryWrite } from './write-retry.js';

export interface LifecycleDeps extends LifecycleStore {
  hub: CommandChannel;
  log: Log;
}

export type Action = 'start' | 'stop';

/** The status an action leads to; reaching it again is a no-op (idempotent). */
const TARGET: Record<Action, ContainerRow['status']> = { start: 'running', stop: 'stopped' };

export const STOP_TIMEOUT_MS = DEFAULT_STOP_TIMEOUT_SECONDS * 1000 + COMMAND_TIMEOUT_MS.stopGrace;

/** An agent pulls a missing image for up to 10 minutes before it answers a create. */
const PULL_ALLOWANCE_MS = 600_000;
/** The longest role setup an agent may be configured for (REXEC_ROLE_SETUP_TIMEOUT_SECONDS). */
const ROLE_SETUP_ALLOWANCE_MS = 3_600_000;

/** How long a create may take on the agent: the run, a pull, and the role's setup, if any. */
export function createTimeoutMs(role: string): number {
  const setup = role === 'barebone' ? 0 : ROLE_SETUP_ALLOWANCE_MS;
  return COMMAND_TIMEOUT_MS.create + PULL_ALLOWANCE_MS + setup;
}

/**
 * Sends the create for a freshly committed container and records the outcome. Never throws: a
 * host that is away or slow leaves the row `creating`, and reconciliation re-sends the create on
 * the host's next HELLO (the agent makes it idempotent by container id). `knownHours` is the
 * owner's session length when the caller has the tier at hand (the create route does), which
 * saves a query per create; otherwise it is read while the agent works.
 */
export async function launchContainer(
  deps: LifecycleDeps,
  row: ContainerRow,
  knownHours?: number | null,
): Promise<void> {
  const hostId = row.hostId;
  if (hostId === null) return;
  const hours =
    knownHours !== undefined
      ? Promise.resolve(knownHours)
      : sessionHours(deps.db, row.userId).catch((error: unknown) => {
          deps.log.warn(
            { container_id: row.id, err: error },
            'session length not read ahead; read again with the result',
          );
          return undefined;
        });
  let result: AgentCommandResult;
  try {
    result = await deps.hub.sendCommand(
      hostId,
      row.id,
      { action: 'create', spec: containerSpec(row) },
      createTimeoutMs(row.role),
    );
  } catch (error) {
    if (error instanceof CommandTimeoutError || error instanceof HubStoppedError) {
      deps.log.warn(
        { container_id: row.id, err: error },
        'create not confirmed; left to reconciliation',
      );
      return;
    }
    deps.log.error({ container_id: row.id, err: error }, 'create could not be sent');
    return;
  }
  const known = await hours;
  try {
    await retryWrite(
      deps.log,
      'cannot record a create result; retrying',
      { container_id: row.id, command_id: result.command_id },
      () => applyCreateResult(deps, row, result, known),
    );
    deps.hub.acknowledge(hostId, result.command_id);
  } catch (error) {
    // Unacknowledged, so the agent re-sends it after a reconnect; the next inventory settles it.
    deps.log.error({ container_id: row.id, err: error }, 'cannot record a create result');
  }
}

/** Sends a command and waits; a host that goes away or stays silent is host_unavailable. */
async function command(
  deps: LifecycleDeps,
  row: ContainerRow & { hostId: string },
  body: ContainerCommand,
  timeoutMs: number,
): Promise<AgentCommandResult> {
  try {
    return await deps.hub.sendCommand(row.hostId, row.id, body, timeoutMs);
  } catch (error) {
    if (error instanceof CommandTimeoutError || error instanceof HubStoppedError) {
      throw Object.assign(hostUnavailable(row.hostId), { cause: error });
    }
    throw error;
  }
}

/**
 * @throws RexecError invalid_state while the container is being created or deleted (or when it
 * has vanished from its host), host_unavailable when its host is not connected or does not answer,
 * internal when the engine fails, not_found.
 */
export async function changeState(
  deps: LifecycleDeps,
  userId: string,
  idOrName: string,
  action: Action,
): Promise<ContainerRow> {
  const row = await getContainer(deps.db, userId, idOrName);
  if (row.status === TARGET[action]) return keepWish(deps.db, row, action);
  if (row.status === 'creating' || row.status === 'deleting') {
    throw invalidState(`Cannot ${action} a container while it is ${row.status}.`, row.status);
  }
  const hostId = row.hostId;
  if (hostId === null || !deps.hub.isConnected(hostId)) throw hostUnavailable(hostId ?? undefined);
  // Only while the row is as read: a DELETE that began since owns the desired status (`deleted`),
  // which reconciliation needs to finish it; read again and answer as for a delete under way.
  const wanted = await deps.db
    .update(containers)
    .set({
      desiredStatus: action === 'start' ? 'running' : 'stopped',
      desiredReason: action === 'start' ? null : 'user',
    })
    .where(
      and(
        eq(containers.id, row.id),
        eq(containers.status, row.status),
        isNull(containers.deletedAt),
      ),
    )
    .returning({ id: containers.id });
  if (wanted.length === 0) return changeState(deps, userId, idOrName, action);
  const result =
    action === 'start'
      ? await command(deps, { ...row, hostId }, { action: 'start' }, COMMAND_TIMEOUT_MS.start)
      : await command(deps, { ...row, hostId }, stopCommand(), STOP_TIMEOUT_MS);
  if (!result.ok) {
    if (result.error.code === 'not_found') {
      const current = await recordResult(deps, hostId, result.command_id, async () => {
        const current = await loadContainer(deps.db, row.id);
        // A delete that began meanwhile removed it: that is the delete's to finish, not an error.
        if (current !== undefined && current.status !== 'deleting') {
          await markError(deps.db, current, 'container_missing', commandDetail(result.error));
        }
        return current;
      });
      if (current === undefined) throw notFound('Container', idOrName);
      if (current.status === 'deleting') throw deletingNow(action);
      throw invalidState('The container no longer exists on its host.', 'error');
    }
    deps.hub.acknowledge(hostId, result.command_id);
    deps.log.warn({ container_id: row.id, error: result.error }, `${action} failed on the agent`);
    throw internal(`the agent could not ${action} ${row.id}: ${result.error.message}`);
  }
  const changed = await recordResult(deps, hostId, result.command_id, async () => {
    const current = (await loadContainer(deps.db, row.id)) ?? row;
    // A delete that began while the agent worked: deleting → stopped/running is no transition,
    // and the remove queued behind this command on the host finishes the container.
    if (current.status === 'deleting') return null;
    return action === 'start'
      ? markRunning(deps, current, result.container, 'started', userId)
      : markStopped(deps.db, current, 'user', null, userId);
  });
  if (changed !== null) return changed;
  const now = await getContainer(deps.db, userId, row.id);
  if (now.status === 'deleting') throw deletingNow(action);
  return now;
}

function deletingNow(action: Action): RexecError {
  return invalidState(`Cannot ${action} a container while it is deleting.`, 'deleting');
}

/**
 * A start or stop of a container already in that state needs no command, but the wish is still
 * the user's last word: an earlier opposite command that timed out left the other desire behind,
 * and its late result (or the next inventory) would otherwise undo this answer.
 */
async function keepWish(db: Db, row: ContainerRow, action: Action): Promise<ContainerRow> {
  const desired = action === 'start' ? 'running' : 'stopped';
  if (row.desiredStatus === desired) return row;
  const desiredReason = action === 'start' ? null : 'user';
  await db
    .update(containers)
    .set({ desiredStatus: desired, desiredReason })
    .where(and(eq(containers.id, row.id), eq(containers.status, row.status)));
  return { ...row, desiredStatus: desired, desiredReason };
}

/**
 * Records a user's command result while the user waits: the first failure is the user's answer
 * (the API says the database is unavailable), and the write goes on being retried behind it until
 * it lands; the agent is told once it has.
 */
async function recordResult<T>(
  deps: LifecycleDeps,
  hostId: string,
  commandId: string,
  write: () => Promise<T>,
): Promise<T> {
  let value: T;
  try {
    value = await write();
  } catch (error) {
    retryWrite(
      deps.log,
      'cannot record a command result; retrying',
      { command_id: commandId },
      write,
    )
      .then(() => deps.hub.acknowledge(hostId, commandId))
      .catch((retryError: unknown) => {
        // Unacknowledged, so the agent re-sends it after a reconnect; an inventory settles it too.
        deps.log.error(
          { err: retryError, command_id: commandId },
          'cannot record a command result',
        );
      });
    throw error;
  }
  deps.hub.acknowledge(hostId, commandId);
  return value;
}

export type DeleteOutcome = { kind: 'removed' } | { kind: 'deleting'; id: string };

/**
 * A container never placed is removed at once. One on a host is marked `deleting` (desired
 * `deleted`), then removed with its volume by the agent and soft-deleted with its reservation
 * released; when the host is away or fails, it stays `deleting` until the host's next HELLO.
 * @throws RexecError not_found.
 */
export async function deleteContainer(
  deps: LifecycleDeps,
  userId: string,
  idOrName: string,
): Promise<DeleteOutcome> {
  const { db } = deps;
  const row = await getContainer(db, userId, idOrName);
  // A container its host took away holds no reservation and has no agent to ask: gone at once (a
  // lost host that comes back has it removed by reconciliation, its row being deleted).
  if (row.hostId === null || isHostGone(row)) return deleteUnplaced(db, row, idOrName);
  let current: ContainerRow | null = row;
  if (row.status !== 'deleting') {
    current = await transition(db, row, {
      to: 'deleting',
      reason: 'user',
      actorUserId: userId,
      columns: { desiredStatus: 'deleted' },
    });
    if (current === null) current = (await loadContainer(db, row.id)) ?? null;
    if (current === null) throw notFound('Container', idOrName);
    if (current.status !== 'deleting') return deleteContainer(deps, userId, idOrName);
  }
  if (!deps.hub.isConnected(row.hostId)) return { kind: 'deleting', id: row.id };
  return removeOnHost(deps, current, userId);
}

/** Sends the remove and finishes the delete on success; `deleting` otherwise. */
export async function removeOnHost(
  deps: LifecycleDeps,
  row: ContainerRow,
  actorUserId: string | null,
): Promise<DeleteOutcome> {
  const hostId = row.hostId;
  if (hostId === null) throw new Error(`container ${row.id} has no host to remove it from`);
  let commandId: string;
  try {
    const result = await deps.hub.sendCommand(
      hostId,
      row.id,
      { action: 'remove', remove_volume: true },
      COMMAND_TIMEOUT_MS.remove,
    );
    if (!result.ok) {
      deps.log.warn({ container_id: row.id, error: result.error }, 'remove failed on the agent');
      // Failed after the engine took the container (on its volume, network or shaping): nothing
      // is left to remove, and the reconcile table's `deleting` × missing finishes it now, not
      // at the next inventory. Anything still there waits for reconciliation to remove it again.
      if (result.container?.state === 'missing') {
        await recordResult(deps, hostId, result.command_id, () =>
          finishDelete(deps.db, row, actorUserId),
        );
        return { kind: 'removed' };
      }
      deps.hub.acknowledge(hostId, result.command_id);
      return { kind: 'deleting', id: row.id };
    }
    commandId = result.command_id;
  } catch (error) {
    if (error instanceof CommandTimeoutError || error instanceof HubStoppedError) {
      return { kind: 'deleting', id: row.id };
    }
    throw error;
  }
  await recordResult(deps, hostId, commandId, () => finishDelete(deps.db, row, actorUserId));
  return { kind: 'removed' };
}

async function deleteUnplaced(db: Db, row: ContainerRow, idOrName: string): Promise<DeleteOutcome> {
  return db.transaction(async (tx) => {
    const removed = await tx
      .update(containers)
      .set({ desiredStatus: 'deleted', deletedAt: new Date() })
      .where(and(eq(containers.id, row.id), isNull(containers.deletedAt)))
      .returning({ id: containers.id });
    // A concurrent DELETE won the race: to this caller it is simply gone.
    if (removed.length === 0) throw notFound('Container', idOrName);
    await recordEvent(tx, {
      type: 'container.deleted',
      actorUserId: row.userId,
      containerId: row.id,
      reason: 'user',
    });
    return { kind: 'removed' } as const;
  });
}
