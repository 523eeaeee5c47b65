// AGENT_CONTAINER_STATUS: changes an agent saw by itself (exit, OOM kill, outside removal, role
// setup failure, a disk limit it enforced) become status changes with a reason. Reports about
// containers that have a command in flight, or that are being created or deleted, are left to that
// command or to reconciliation; a disk stop is still logged as an event for them.
import type { AgentContainerStatus } from '@rexec/protocol';
import type { Db } from '../db/open.js';
import type { ContainerRow } from '../db/schema/containers.js';
import { recordEvent } from '../services/events.js';
import {
  exitDetail,
  exitReason,
  markError,
  markRunning,
  markStopped,
  type LifecycleStore,
} from './outcomes.js';
import type { LifecycleDeps } from './actions.js';
import { loadContainer, refineStopReason } from './transitions.js';

// The disk monitor's stops: reported once while running (an event only), then as the stop.
const DISK_STOPS: ReadonlySet<string> = new Set(['disk_quota_exceeded', 'disk_unmeasurable']);

export async function applyStatusReport(
  deps: LifecycleDeps,
  hostId: string,
  report: AgentContainerStatus,
): Promise<void> {
  const { container } = report;
  const row = await loadContainer(deps.db, container.container_id);
  if (row === undefined || row.hostId !== hostId) {
    deps.log.info(
      { host_id: hostId, container_id: container.container_id },
      'status for an unknown container',
    );
    return;
  }
  if (DISK_STOPS.has(report.reason) && report.container.state === 'running') {
    await recordDiskStop(deps.db, row, report);
    return;
  }
  if (deps.hub.hasPendingCommand(row.id)) return;
  if (row.status === 'creating' || row.status === 'deleting') return;
  await applyToRow(deps, row, report);
}

async function applyToRow(
  store: LifecycleStore,
  row: ContainerRow,
  report: AgentContainerStatus,
): Promise<void> {
  const { db } = store;
  const { container, reason } = report;
  const detail = report.detail ?? null;
  if (container.state === 'missing') {
    await markError(
      db,
      row,
      'container_missing',
      detail ?? 'The container was removed outside Rexec.',
    );
    return;
  }
  if (reason === 'role_setup_failed') {
    await markError(db, row, 'role_setup_failed', detail);
    return;
  }
  if (container.state === 'running') {
    if (row.status === 'stopped' && reason === 'started')
      await markRunning(store, row, container, 'started');
    return;
  }
  if (container.state === 'paused') return;
  // A stop was asked for (by a user or the session clock) and its command names the reason; the
  // engine's exit, reported on the way and possibly just after the command's result, must not
  // take its place. A stop that never finishes is settled by reconciliation on the next HELLO.
  const diskStop = DISK_STOPS.has(reason);
  if (row.status === 'running' && row.desiredStatus === 'stopped' && !diskStop) return;
  if (row.status === 'running') {
    await markStopped(db, row, exitReason(container, reason), detail ?? exitDetail(container));
  } else if (row.status === 'stopped' && row.statusReason === 'exited' && diskStop) {
    await refineStopReason(db, row, reason, detail);
  }
}

/**
 * The agent's warning, sent while the container still runs and before it stops it: an events row
 * (`container.disk_quota_exceeded` or `container.disk_unmeasurable`) with what the agent said and
 * the limit it enforced. The stop that follows is a separate report.
 */
async function recordDiskStop(
  db: Db,
  row: ContainerRow,
  report: AgentContainerStatus,
): Promise<void> {
  await recordEvent(db, {
    type:
      report.reason === 'disk_quota_exceeded'
        ? 'container.disk_quota_exceeded'
        : 'container.disk_unmeasurable',
    containerId: row.id,
    hostId: row.hostId,
    reason: report.reason,
    detail: {
      disk_mb: row.diskMb,
      // The last heartbeat's figure; the agent's own detail says what it measured just now.
      ...(row.diskUsedMb === null ? {} : { last_measured_disk_mb: row.diskUsedMb }),
      ...(report.detail === undefined ? {} : { detail: report.detail }),
      reported_at: report.at,
    },
  });
}
