// The no_capacity error a failed create answers with: every host is read afresh and
// scheduler/no-capacity-reason.ts says why none took the container (nothing online, everything
// cordoned, or which resource is short) and what would fit now. Runs only after a placement failed.
import type { Db } from '../db/open.js';
import { hosts } from '../db/schema/hosts.js';
import type { TierRow } from '../db/schema/tiers.js';
import { noCapacity, type RexecError } from '../errors.js';
import {
  diagnoseNoCapacity,
  RESOURCE_WIRE_NAMES,
  type NoCapacityDiagnosis,
} from '../scheduler/no-capacity-reason.js';
import type { Resources } from '../scheduler/placement.js';
import { toPlacementHost } from '../scheduler/snapshot.js';

const wire = (resources: Resources) => ({
  cpu_millicores: resources.cpuMillicores,
  memory_mb: resources.memoryMb,
  disk_mb: resources.diskMb,
});

const listed = (resources: Resources) =>
  Object.entries(wire(resources))
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');

function sentence(request: Resources, found: NoCapacityDiagnosis): string {
  switch (found.reason) {
    case 'no_host_online':
      return (
        'No host is online to run containers. Start rexec-agent on a host with a join token ' +
        '(admin: POST /api/v1/hosts/join-tokens), or wait for a host to reconnect.'
      );
    case 'no_host_schedulable':
      return (
        `All ${found.hostsOnline} online hosts are cordoned, draining or without network ` +
        'isolation, so none takes new containers. An admin can put one back with ' +
        'POST /api/v1/hosts/:id/uncordon, or accept one without isolation with ' +
        'POST /api/v1/hosts/:id/trust.'
      );
    case 'no_host_with_room': {
      const fit =
        found.largestFit === null
          ? ' No host has room for any container right now: delete one, or add a host.'
          : ` The largest request that fits now is ${listed(found.largestFit)}.`;
      const [first] = found.short;
      if (first === undefined) {
        return `No single host has room for ${listed(request)} together.${fit}`;
      }
      const name = RESOURCE_WIRE_NAMES[first];
      return (
        `No host has room for ${name}: ${request[first]} ` +
        `(the most free on one host is ${found.mostFree[first] ?? 0}).${fit}`
      );
    }
  }
}

/** The no_capacity error for `request` on the fleet as it is now. */
export async function noCapacityFor(
  db: Db,
  request: Resources,
  tier: TierRow,
  cpuOvercommitPercent: number,
): Promise<RexecError> {
  const rows = await db.select().from(hosts);
  const ceiling = {
    cpuMillicores: tier.cpuMillicores,
    memoryMb: tier.memoryMb,
    diskMb: tier.diskMb,
  };
  const found = diagnoseNoCapacity(
    request,
    rows.map(toPlacementHost),
    cpuOvercommitPercent,
    ceiling,
  );
  const [first] = found.short;
  return noCapacity(sentence(request, found), {
    reason: found.reason,
    requested_resources: wire(request),
    ...(first === undefined ? {} : { resource: RESOURCE_WIRE_NAMES[first] }),
    hosts_online: found.hostsOnline,
    hosts_schedulable: found.hostsSchedulable,
    largest_fit: found.largestFit === null ? null : wire(found.largestFit),
  });
}
