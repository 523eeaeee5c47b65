// Which per-container usage a heartbeat carries, to keep beats small: everything on the first beat
// of a connection (a new control plane knows nothing) and every FULL_USAGE_EVERY_BEATS beats after
// (a safety net for a lost beat), otherwise only containers whose amounts changed since the last
// beat of this connection. Measuring is the disk monitor's and the stats sampler's job; sending is
// session.ts's.
import { MAX_INVENTORY_CONTAINERS } from '@rexec/protocol';
import type { ContainerUsage } from '@rexec/protocol';

/** At the default 3 s heartbeat, a full report once a minute. */
export const FULL_USAGE_EVERY_BEATS = 20;

export interface HeartbeatUsage {
  /** The entries to put in the beat with this `seq`, given every container's latest usage. */
  next(seq: number, latest: readonly ContainerUsage[]): ContainerUsage[];
}

function sameAmounts(a: ContainerUsage, b: ContainerUsage): boolean {
  return (
    a.disk_mb === b.disk_mb &&
    a.cpu_millicores === b.cpu_millicores &&
    a.memory_mb === b.memory_mb &&
    a.pids === b.pids &&
    a.network_rx_bytes === b.network_rx_bytes &&
    a.network_tx_bytes === b.network_tx_bytes &&
    a.memory_bytes === b.memory_bytes &&
    a.memory_limit_bytes === b.memory_limit_bytes
  );
}

/** One per connection: what was sent is remembered per socket, since seq restarts at 0. */
export function createHeartbeatUsage(fullEveryBeats = FULL_USAGE_EVERY_BEATS): HeartbeatUsage {
  const sent = new Map<string, ContainerUsage>();
  return {
    next(seq, latest) {
      const full = seq % fullEveryBeats === 0;
      const present = new Set(latest.map((usage) => usage.container_id));
      for (const id of sent.keys()) if (!present.has(id)) sent.delete(id);
      const out: ContainerUsage[] = [];
      for (const usage of latest) {
        if (out.length === MAX_INVENTORY_CONTAINERS) break;
        const before = sent.get(usage.container_id);
        if (!full && before !== undefined && sameAmounts(before, usage)) continue;
        sent.set(usage.container_id, usage);
        out.push(usage);
      }
      return out;
    },
  };
}
