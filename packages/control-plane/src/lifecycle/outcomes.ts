// What an agent's answer to a command means for the row: create → running or error (with the
// engine's message), start → running, stop → stopped, each through transition(). Shared by the
// user's actions, reconciliation and the reaper, which only decide what to send.
import type { AgentCommandResult, CommandError, ObservedContainer } from '@rexec/protocol';
import type { Db } from '../db/open.js';
import type { ContainerRow } from '../db/schema/containers.js';
import { setupLogOf, storeSetupLog } from './setup-log.js';
import type { RunningBatcher } from './running-batch.js';
import { assertLegal, sessionEnd, sessionHours, transition } from './transitions.js';

/** Where the lifecycle writes: the database, and its batcher of moves to running (main.ts's). */
export interface LifecycleStore {
  db: Db;
  running: RunningBatcher;
}

/** A failed command as status detail: the agent's sentence and the engine's own words. */
export function commandDetail(error: CommandError): string {
  return error.detail === undefined ? error.message : `${error.message}\n${error.detail}`;
}

/**
 * Image errors become `image_pull_failed`, a failed role setup `role_setup_failed` (DESIGN §3),
 * a host's refusals (`image_too_large`, `insufficient_disk`) keep their code; anything else is a
 * failed create.
 */
export function createFailureReason(code: string): string {
  if (code === 'image_missing' || code === 'image_pull_failed') return 'image_pull_failed';
  if (code === 'role_setup_failed') return 'role_setup_failed';
  // The host refused: the image is over its REXEC_MAX_IMAGE_MB, or its storage is nearly full.
  if (code === 'image_too_large' || code === 'insufficient_disk') return code;
  return 'create_failed';
}

/**
 * Why a container is no longer running: an OOM kill and the disk monitor's stops (over quota,
 * unmeasurable) are named, else `exited`.
 */
export function exitReason(observed: ObservedContainer | undefined, reported: string): string {
  if (observed?.oom_killed === true || reported === 'oom_killed') return 'oom_killed';
  if (reported === 'disk_quota_exceeded' || reported === 'disk_unmeasurable') return reported;
  return 'exited';
}

export function exitDetail(observed: ObservedContainer | undefined): string | null {
  return observed?.exit_code == null ? null : `exit code ${observed.exit_code}`;
}

function startedAt(observed: ObservedContainer | undefined): Date {
  return observed?.started_at == null ? new Date() : new Date(observed.started_at);
}

/**
 * Moves `row` to running (new session clock); null if the row changed meanwhile. `hours` is the
 * owner's session length when the caller already has it, saving a query on the way to `running`.
 */
export async function markRunning(
  store: LifecycleStore,
  row: ContainerRow,
  observed: ObservedContainer | undefined,
  eventReason: string,
  actorUserId: string | null = null,
  hours?: number | null,
): Promise<ContainerRow | null> {
  if (row.status === 'running') return row;
  assertLegal(row.status, 'running');
  const now = new Date();
  // Batched with the other moves of this moment: the same guard and events row as transition().
  return store.running.move({
    id: row.id,
    from: row.status,
    hostId: row.hostId,
    startedAt: startedAt(observed),
    sessionExpiresAt: sessionEnd(
      hours === undefined ? await sessionHours(store.db, row.userId) : hours,
      now,
    ),
    eventReason,
    actorUserId,
  });
}

export async function markStopped(
  db: Db,
  row: ContainerRow,
  reason: string,
  detail: string | null = null,
  actorUserId: string | null = null,
): Promise<ContainerRow | null> {
  // Already stopped: the first reason stands (a user stop followed by the engine's exit report).
  if (row.status === 'stopped') return row;
  return transition(db, row, {
    to: 'stopped',
    reason,
    detail,
    actorUserId,
    columns: { desiredStatus: 'stopped', stoppedAt: new Date(), sessionExpiresAt: null },
  });
}

export async function markError(
  db: Db,
  row: ContainerRow,
  reason: string,
  detail: string | null = null,
): Promise<ContainerRow | null> {
  if (row.status === 'error' && row.statusReason === reason) return row;
  return transition(db, row, { to: 'error', reason, detail, columns: { sessionExpiresAt: null } });
}

/**
 * Applies a create's result to `row`, the container as it was launched (`creating`); the guarded
 * transition leaves it alone when anything changed it since, so no reload is needed first.
 * `hours` is the owner's session length, looked up while the agent worked.
 */
export async function applyCreateResult(
  store: LifecycleStore,
  row: ContainerRow,
  result: AgentCommandResult,
  hours?: number | null,
): Promise<ContainerRow | null> {
  if (row.status !== 'creating') return row;
  // The log is kept whatever the transition does: it is what the owner reads to learn why.
  const setupLog = setupLogOf(result);
  if (setupLog !== null) await storeSetupLog(store.db, row.id, setupLog);
  if (result.ok) return markRunning(store, row, result.container, 'created', null, hours);
  const reason = createFailureReason(result.error.code);
  // A setup's log is in GET /logs; its last line, the message, is detail enough for the status.
  const detail =
    reason === 'role_setup_failed' ? result.error.message : commandDetail(result.error);
  return markError(store.db, row, reason, detail);
}
