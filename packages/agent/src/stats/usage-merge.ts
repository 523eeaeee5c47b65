// One usage entry per container for heartbeats, from the disk monitor's measurements and the
// stats sampler's samples (each measured on its own schedule). Choosing which entries a beat
// carries is disk/heartbeat-usage.ts's job.
import type { ContainerUsage } from '@rexec/protocol';

export function mergeUsage(...sources: readonly (readonly ContainerUsage[])[]): ContainerUsage[] {
  const merged = new Map<string, ContainerUsage>();
  for (const source of sources) {
    for (const usage of source) {
      const before = merged.get(usage.container_id);
      merged.set(usage.container_id, before === undefined ? usage : { ...before, ...usage });
    }
  }
  return [...merged.values()];
}
