// CONTROL_INVENTORY_QUERY answers awaited on one agent session: minted query ids, a timeout per
// query, settling by id, and failing every open query when the session ends. What the inventory
// means is reconciliation's; sending is the hub's.
import { randomBytes } from 'node:crypto';
import type { ObservedContainer } from '@rexec/protocol';

/** Thrown when an agent did not answer an inventory query in time, or its session ended first. */
export class InventoryQueryError extends Error {
  override readonly name = 'InventoryQueryError';
}

interface Waiter {
  resolve(inventory: ObservedContainer[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class InventoryQueries {
  readonly #waiters = new Map<string, Waiter>();

  /** A new query id and the promise its answer settles. */
  open(timeoutMs: number): { queryId: string; answer: Promise<ObservedContainer[]> } {
    const queryId = `inv_${randomBytes(12).toString('hex')}`;
    const answer = new Promise<ObservedContainer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(queryId);
        reject(new InventoryQueryError(`inventory query ${queryId} unanswered in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(queryId, { resolve, reject, timer });
    });
    return { queryId, answer };
  }

  /** False for an id this session never asked (or already gave up on). */
  settle(queryId: string, inventory: ObservedContainer[]): boolean {
    const waiter = this.#waiters.get(queryId);
    if (waiter === undefined) return false;
    this.#waiters.delete(queryId);
    clearTimeout(waiter.timer);
    waiter.resolve(inventory);
    return true;
  }

  failAll(why: string): void {
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new InventoryQueryError(why));
    }
    this.#waiters.clear();
  }
}
