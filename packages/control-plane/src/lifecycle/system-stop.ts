// A stop the control plane decides on its own (a session that expired, an idle container): the
// stop command through the hub, then the row to `stopped` with the given reason and its
// `container.stopped` event. The caller has already flipped desired status to `stopped`, so a host
// that is away now is brought in line by reconciliation when it returns.
import { stopCommand } from '@rexec/protocol';
import { STOP_TIMEOUT_MS, type LifecycleDeps } from './actions.js';
import { markStopped } from './outcomes.js';
import { loadContainer } from './transitions.js';
import { retryWrite } from './write-retry.js';

/** Never throws: a stop that fails or is not confirmed is logged and left to reconciliation. */
export async function systemStop(
  deps: LifecycleDeps,
  id: string,
  hostId: string | null,
  reason: string,
): Promise<void> {
  if (hostId === null || !deps.hub.isConnected(hostId)) return;
  try {
    const result = await deps.hub.sendCommand(hostId, id, stopCommand(), STOP_TIMEOUT_MS);
    if (!result.ok) {
      deps.hub.acknowledge(hostId, result.command_id);
      deps.log.warn({ container_id: id, reason }, 'stop did not succeed on the agent');
      return;
    }
    await retryWrite(
      deps.log,
      'cannot record a stop; retrying',
      { container_id: id, command_id: result.command_id, reason },
      async () => {
        const row = await loadContainer(deps.db, id);
        if (row !== undefined) await markStopped(deps.db, row, reason);
      },
    );
    deps.hub.acknowledge(hostId, result.command_id);
  } catch (error) {
    deps.log.warn({ container_id: id, reason, err: error }, 'stop not confirmed');
  }
}
