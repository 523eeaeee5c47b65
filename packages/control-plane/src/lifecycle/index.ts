// The lifecycle's public surface, and its wiring to the hub: on every HELLO the return of lost
// containers, then reconciliation; status reports and late command results, applied one at a
// time per container in the order they arrived (each retried while Postgres fails it,
// write-retry.ts). main.ts (or a test) calls attachLifecycle once after creating the hub; the
// periodic reconciliation is a part of its own.
import type { Hub } from '../hub/hub.js';
import type { LifecycleDeps } from './actions.js';
import { restoreLostContainers } from './host-return.js';
import { KeyedQueue } from './keyed-queue.js';
import { applyLateResult } from './late-results.js';
import { reconcileHost } from './reconcile.js';
import { applyStatusReport } from './status-reports.js';
import { retryWrite } from './write-retry.js';

export * from './actions.js';
export { createLaunches, type Launches } from './launches.js';
export { createRunningBatcher, type RunningBatcher } from './running-batch.js';
export * from './session-reaper.js';
export * from './idle-stop.js';
export * from './host-loss.js';
export { removeHost } from './host-removal.js';
export * from './periodic-reconcile.js';
export { reconcileHost, reconcileInventory } from './reconcile.js';
export { applyStatusReport } from './status-reports.js';

export function attachLifecycle(hub: Hub, deps: Omit<LifecycleDeps, 'hub'>): LifecycleDeps {
  const lifecycle: LifecycleDeps = { ...deps, hub };
  hub.onEstablished(async (host) => {
    // A lost host's containers take their real state first, so reconciliation sees them.
    await restoreLostContainers(lifecycle, host);
    await reconcileHost(lifecycle, host);
  });
  const byContainer = new KeyedQueue();
  hub.onContainerStatus((hostId, report) =>
    byContainer.run(report.container.container_id, () =>
      retryWrite(
        lifecycle.log,
        'cannot record a container status report; retrying',
        { host_id: hostId, container_id: report.container.container_id, reason: report.reason },
        () => applyStatusReport(lifecycle, hostId, report),
      ),
    ),
  );
  hub.onLateResult((hostId, result) =>
    byContainer.run(result.container_id, () => applyLateResult(lifecycle, hostId, result)),
  );
  return lifecycle;
}
