// AGENT_CONTAINER_STATUS: changes an agent saw by itself (exit, OOM kill, outside removal, role
// setup failure) become status changes with a reason. Reports about containers that have a command
// in flight, or that are being created or deleted, are left to that command or to reconciliation.
import type { AgentContainerStatus } from '@rexec/protocol';
import type { Db } from '../db/open.js';
import type { ContainerRow } from '../db/schema/containers.js';
import { exitDetail, exitReason, markError, markRunning, markStopped } from './outcomes.js';
import type { LifecycleDeps } from './actions.js';
import { loadContainer } from './transitions.js';

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
  if (deps.hub.hasPendingCommand(row.id)) return;
  if (row.status === 'creating' || row.status === 'deleting') return;
  await applyToRow(deps.db, row, report);
}

async function applyToRow(db: Db, row: ContainerRow, report: AgentContainerStatus): Promise<void> {
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
      await markRunning(db, row, container, 'started');
    return;
  }
  if (container.state === 'paused') return;
  if (row.status === 'running') {
    await markStopped(db, row, exitReason(container, reason), detail ?? exitDetail(container));
  }
}
