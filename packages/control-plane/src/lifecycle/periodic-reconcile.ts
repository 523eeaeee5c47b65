// Reconciliation between HELLOs: every REXEC_RECONCILE_SECONDS each host connected to this process
// is asked for its inventory (CONTROL_INVENTORY_QUERY, PROTOCOL.md §7) and reconciled like at HELLO,
// so drift from outside (a `podman stop` or `rm` on the host, a result that could not be recorded)
// is settled within one period. Each replica asks only the hosts whose sockets it holds; an agent
// that did not announce `inventory` is reconciled at its HELLOs only. The table is reconcile.ts's.
import type { Hub } from '../hub/hub.js';
import type { LifecycleDeps } from './actions.js';
import { createPeriodicPass } from '../periodic-pass.js';
import { reconcileInventory } from './reconcile.js';

export const DEFAULT_RECONCILE_SECONDS = 60;
/** How long an agent may take to list its containers before this pass gives its host up. */
const INVENTORY_TIMEOUT_MS = 30_000;

export interface PeriodicReconcile {
  start(): void;
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>;
  /** One pass over the connected hosts now (the timer calls this; tests too). */
  reconcileOnce(): Promise<void>;
}

export function createPeriodicReconcile(
  deps: LifecycleDeps & { hub: Hub },
  intervalMs = DEFAULT_RECONCILE_SECONDS * 1000,
): PeriodicReconcile {
  async function reconcileOne(hostId: string): Promise<void> {
    const asked = deps.hub.queryInventory(hostId, Math.min(INVENTORY_TIMEOUT_MS, intervalMs * 5));
    if (asked === undefined) return;
    const { inventory, sentAt } = await asked;
    await reconcileInventory(deps, { hostId, inventory, inFlight: new Set(), takenAt: sentAt });
  }

  async function reconcileOnce(): Promise<void> {
    const hostIds = deps.hub.connectedHostIds();
    const results = await Promise.allSettled(hostIds.map((hostId) => reconcileOne(hostId)));
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        deps.log.warn(
          { err: result.reason, host_id: hostIds[index] },
          'periodic reconciliation of a host failed; the next pass tries again',
        );
      }
    });
  }

  // A pass still running (a slow agent, a slow database) is not stacked on.
  const timer = createPeriodicPass(reconcileOnce, {
    intervalMs,
    onError: (error) => deps.log.warn({ err: error }, 'periodic reconciliation pass failed'),
  });
  return { reconcileOnce, start: () => timer.start(), stop: () => timer.stop() };
}
