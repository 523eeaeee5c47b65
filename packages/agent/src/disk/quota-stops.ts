// The containers the disk monitor is stopping for their quota, shared with the status reporter: the
// engine's `die` for such a stop is reported with reason `disk_quota_exceeded` instead of `exited`,
// so whichever of the two reports arrives last, the control plane keeps the quota reason. Deciding
// when to stop is the monitor's job; reporting engine events stays the reporter's.

export interface QuotaStops {
  /** Marks the container before it is stopped; `detail` is what its reports will say. */
  mark(containerId: string, detail: string): void;
  /** The detail of a marked container, unmarking it (its `die` was seen); null when unmarked. */
  take(containerId: string): string | null;
  /** Unmarks (the container started again, or the stop failed). */
  clear(containerId: string): void;
  has(containerId: string): boolean;
}

export function createQuotaStops(): QuotaStops {
  const marked = new Map<string, string>();
  return {
    mark(containerId, detail) {
      marked.set(containerId, detail);
    },
    take(containerId) {
      const detail = marked.get(containerId);
      if (detail === undefined) return null;
      marked.delete(containerId);
      return detail;
    },
    clear(containerId) {
      marked.delete(containerId);
    },
    has(containerId) {
      return marked.has(containerId);
    },
  };
}
