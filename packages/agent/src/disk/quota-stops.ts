// The containers the disk monitor is stopping, shared with the status reporter: the engine's `die`
// for such a stop is reported with the monitor's reason (`disk_quota_exceeded`, or
// `disk_unmeasurable` when the disk could not be measured) instead of `exited`, so whichever of the
// two reports arrives last, the control plane keeps that reason. Deciding when to stop is the
// monitor's job; reporting engine events stays the reporter's.

/** Why the disk monitor stopped a container. */
export type DiskStopReason = 'disk_quota_exceeded' | 'disk_unmeasurable';

export interface QuotaStop {
  reason: DiskStopReason;
  /** What the container's reports say ("used 70 MB of 64 MB"). */
  detail: string;
}

export interface QuotaStops {
  /** Marks the container before it is stopped; its reports will carry `reason` and `detail`. */
  mark(containerId: string, detail: string, reason?: DiskStopReason): void;
  /** The mark of a container, unmarking it (its `die` was seen); null when unmarked. */
  take(containerId: string): QuotaStop | null;
  /** Unmarks (the container started again, or the stop failed). */
  clear(containerId: string): void;
  has(containerId: string): boolean;
}

export function createQuotaStops(): QuotaStops {
  const marked = new Map<string, QuotaStop>();
  return {
    mark(containerId, detail, reason = 'disk_quota_exceeded') {
      marked.set(containerId, { reason, detail });
    },
    take(containerId) {
      const stop = marked.get(containerId);
      if (stop === undefined) return null;
      marked.delete(containerId);
      return stop;
    },
    clear(containerId) {
      marked.delete(containerId);
    },
    has(containerId) {
      return marked.has(containerId);
    },
  };
}
