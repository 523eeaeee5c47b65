// The lifecycle's public surface, and its wiring to the hub: on every HELLO the return of lost
// containers, then reconciliation; status reports, applied one at a time per container in the
// order they arrived. main.ts (or a test) calls attachLifecycle once after creating the hub.
import type { Hub } from '../hub/hub.js';
import type { LifecycleDeps } from './actions.js';
import { restoreLostContainers } from './host-return.js';
import { KeyedQueue } from './keyed-queue.js';
import { reconcileHost } from './reconcile.js';
import { applyStatusReport } from './status-reports.js';

export * from './actions.js';
export * from './session-reaper.js';
export * from './host-loss.js';
export { removeHost } from './host-removal.js';
export { reconcileHost } from './reconcile.js';
export { applyStatusReport } from './status-reports.js';

export function attachLifecycle(hub: Hub, deps: Omit<LifecycleDeps, 'hub'>): LifecycleDeps {
  const lifecycle: LifecycleDeps = { ...deps, hub };
  hub.onEstablished(async (host) => {
    // A lost host's containers take their real state first, so reconciliation sees them.
    await restoreLostContainers(lifecycle, host);
    await reconcileHost(lifecycle, host);
  });
  const reports = new KeyedQueue();
  hub.onContainerStatus((hostId, report) =>
    reports.run(report.container.container_id, () => applyStatusReport(lifecycle, hostId, report)),
  );
  return lifecycle;
}
