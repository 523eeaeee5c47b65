// The one table that decides what reconciliation does with a container (PROTOCOL.md §7): for every
// (row status, desired status) and what the engine says (running, exited, missing, unknown), one
// action. Pure, so a test walks every cell; reconcile.ts carries the actions out. A pair that the
// lifecycle never writes (a `deleted` desire on a row not `deleting`) is left alone, not guessed at.
import type { ObservedState } from '@rexec/protocol';
import type { ContainerStatus, DesiredStatus } from '../db/schema/containers.js';

export const ENGINE_STATES = ['running', 'exited', 'missing', 'unknown'] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

export type ReconcileAction =
  /** Nothing to do: the row says what the host runs, or a command in flight will settle it. */
  | 'none'
  /** The create was lost, or its result was: re-send it (the agent never makes a second). */
  | 'relaunch'
  /** The container runs as wanted; the row missed the news (a lost start or create result). */
  | 'mark_running'
  /** The container exited by itself (or a stop's result was lost). */
  | 'mark_stopped'
  /** The host no longer has the container: `error`/`container_missing`. */
  | 'mark_missing'
  /** It runs but should not (a missed stop or session expiry, or a start from outside Rexec). */
  | 'stop_on_host'
  /** A start that never reached the engine (the control plane died first): forget it. */
  | 'forget_start'
  /** A delete the host has not done yet. */
  | 'remove_on_host'
  /** A delete the host did, whose result was lost. */
  | 'finish_delete';

/**
 * The engine's states, folded to what reconciliation distinguishes; a state this control plane
 * does not know (a newer agent's) is `unknown`, and nothing is done about it.
 */
export function engineState(observed: ObservedState | undefined): EngineState {
  switch (observed) {
    case undefined:
    case 'missing':
      return 'missing';
    case 'running':
    case 'paused':
      return 'running';
    case 'created':
    case 'exited':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

type Row = Record<EngineState, ReconcileAction>;
const NONE: Row = { running: 'none', exited: 'none', missing: 'none', unknown: 'none' };

const TABLE: Record<ContainerStatus, Record<DesiredStatus, Row>> = {
  creating: {
    // A role's container runs before its setup is done: only the create's own answer says so.
    running: { running: 'relaunch', exited: 'relaunch', missing: 'relaunch', unknown: 'none' },
    stopped: { running: 'relaunch', exited: 'relaunch', missing: 'relaunch', unknown: 'none' },
    deleted: NONE,
  },
  running: {
    running: { running: 'none', exited: 'mark_stopped', missing: 'mark_missing', unknown: 'none' },
    stopped: {
      running: 'stop_on_host',
      exited: 'mark_stopped',
      missing: 'mark_missing',
      unknown: 'none',
    },
    deleted: NONE,
  },
  stopped: {
    running: {
      running: 'mark_running',
      exited: 'forget_start',
      missing: 'mark_missing',
      unknown: 'none',
    },
    stopped: { running: 'stop_on_host', exited: 'none', missing: 'mark_missing', unknown: 'none' },
    deleted: NONE,
  },
  // An error is the end of the line until a user deletes it; its container is left as it is.
  error: { running: NONE, stopped: NONE, deleted: NONE },
  deleting: {
    running: NONE,
    stopped: NONE,
    deleted: {
      running: 'remove_on_host',
      exited: 'remove_on_host',
      missing: 'finish_delete',
      unknown: 'none',
    },
  },
};

/**
 * What to do with one container. `barebone`: a container without a role, which is ready as soon
 * as it runs, so a `creating` row whose container runs is simply running.
 */
export function reconcileAction(
  status: ContainerStatus,
  desired: DesiredStatus,
  engine: EngineState,
  barebone: boolean,
): ReconcileAction {
  const action = TABLE[status][desired][engine];
  if (action === 'relaunch' && engine === 'running' && barebone) return 'mark_running';
  return action;
}
