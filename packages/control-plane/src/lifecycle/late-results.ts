// AGENT_COMMAND_RESULT for a command no longer awaited: one that timed out here, or one an agent
// re-sent after a reconnect because no CONTROL_RESULT_ACK came (the control plane that sent the
// command restarted, or could not record the answer). It is the agent's word on the container: a
// `creating` row takes it as the create's answer (a create is all a `creating` row is ever sent),
// any other row is reconciled against the container it names through the one table. A command in
// flight for the container decides by itself. Acknowledged once written or found moot.
import type { AgentCommandResult } from '@rexec/protocol';
import type { LifecycleDeps } from './actions.js';
import { applyCreateResult } from './outcomes.js';
import { reconcileContainer } from './reconcile.js';
import { loadContainer } from './transitions.js';
import { retryWrite } from './write-retry.js';

export async function applyLateResult(
  deps: LifecycleDeps,
  hostId: string,
  result: AgentCommandResult,
): Promise<void> {
  await retryWrite(
    deps.log,
    'cannot record a late command result; retrying',
    { host_id: hostId, command_id: result.command_id, container_id: result.container_id },
    () => applyOnce(deps, hostId, result),
  );
  deps.hub.acknowledge(hostId, result.command_id);
}

async function applyOnce(
  deps: LifecycleDeps,
  hostId: string,
  result: AgentCommandResult,
): Promise<void> {
  const row = await loadContainer(deps.db, result.container_id);
  if (row === undefined || row.hostId !== hostId) return;
  if (deps.hub.hasPendingCommand(row.id)) return;
  if (row.status === 'creating') {
    await applyCreateResult(deps, row, result);
    return;
  }
  // A failure that could not say what is there leaves the row to the next inventory.
  if (result.container === undefined) return;
  await reconcileContainer(deps, row, result.container);
}
