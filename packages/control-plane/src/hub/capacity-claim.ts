// What a HELLO's capacity may claim: never more than the agent measured on the machine. An
// operator's REXEC_CAPACITY_* override above the machine's own figures (a typo, or an agent that
// lies) would let the scheduler book memory and disk that do not exist. A rogue agent can lie about
// both numbers; manual approval (REXEC_HOST_APPROVAL) is the guard against rogue hosts themselves.
import type { AgentHello, HostCapacity } from '@rexec/protocol';

export interface CapacityClaim {
  /** What the scheduler gets: the claim, each resource at most its measured figure. */
  capacity: HostCapacity;
  /** The resources claimed above their measurement; empty when nothing was capped. */
  capped: (keyof HostCapacity)[];
}

const RESOURCES = ['cpu_millicores', 'memory_mb', 'disk_mb'] as const;

/** Agents older than `measured_capacity` send none: their claim stands as it is. */
export function capCapacity(
  hello: Pick<AgentHello, 'capacity' | 'measured_capacity'>,
): CapacityClaim {
  const measured = hello.measured_capacity;
  if (measured === undefined) return { capacity: hello.capacity, capped: [] };
  const capacity = { ...hello.capacity };
  const capped: (keyof HostCapacity)[] = [];
  for (const resource of RESOURCES) {
    if (capacity[resource] > measured[resource]) {
      capacity[resource] = measured[resource];
      capped.push(resource);
    }
  }
  return { capacity, capped };
}
