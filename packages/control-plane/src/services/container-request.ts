// A create request up to its row's columns: the resources it gets (asked, else the tier's
// defaults, never over the tier's maxima) and its network egress (asked within the tier, else the
// tier's). Pure functions of the request and the tier; containers.ts does the rest of a create.
import type { NetworkEgress } from '@rexec/protocol';
import type { ContainerRow } from '../db/schema/containers.js';
import type { TierRow } from '../db/schema/tiers.js';
import { egressNotAllowed, invalidRequest, resourceLimitExceeded } from '../errors.js';

/** The create body as on the wire (snake_case); the HTTP layer has already checked its shape. */
export interface CreateContainerRequest {
  name?: string;
  image: string;
  custom_image?: string | null;
  role?: string;
  resources?: {
    cpu_millicores?: number;
    memory_mb?: number;
    disk_mb?: number;
    network_mbps?: number;
  };
  network?: { egress?: NetworkEgress };
}

export const DEFAULT_ROLE = 'barebone';

const RESOURCE_LIMITS = [
  ['cpu_millicores', 'cpuMillicores', 'defaultCpuMillicores'],
  ['memory_mb', 'memoryMb', 'defaultMemoryMb'],
  ['disk_mb', 'diskMb', 'defaultDiskMb'],
  ['network_mbps', 'networkMbps', 'defaultNetworkMbps'],
] as const;

export type ResourceColumns = Pick<
  ContainerRow,
  'cpuMillicores' | 'memoryMb' | 'diskMb' | 'networkMbps'
>;

/**
 * Requested resources, each omitted one taken from the tier's defaults (DESIGN §8.4).
 * @throws resource_limit_exceeded for a value above the tier's maximum.
 */
export function resolveResources(
  requested: CreateContainerRequest['resources'],
  tier: TierRow,
): ResourceColumns {
  const resolved = {} as ResourceColumns;
  for (const [wire, column, defaultColumn] of RESOURCE_LIMITS) {
    const value = requested?.[wire];
    const limit = tier[column];
    if (value === undefined) {
      // The tiers table's check keeps a default within its maximum; min() holds even if not.
      resolved[column] = Math.min(tier[defaultColumn], limit);
      continue;
    }
    if (!Number.isInteger(value) || value <= 0) {
      throw invalidRequest(`resources.${wire} must be a positive integer.`, [
        { path: `resources.${wire}`, message: 'expected a positive integer' },
      ]);
    }
    if (value > limit) throw resourceLimitExceeded(wire, value, limit, tier.name);
    resolved[column] = value;
  }
  return resolved;
}

/**
 * The container's egress: what it asked within its tier, else the tier's. A `none` tier cannot be
 * widened; role setup installs packages from the network, so `none` runs the barebone role only.
 * @throws resource_limit_exceeded for `internet` on a `none` tier, invalid_request for a role.
 */
export function resolveEgress(request: CreateContainerRequest, tier: TierRow): NetworkEgress {
  const asked = request.network?.egress;
  if (asked !== undefined && asked !== 'internet' && asked !== 'none') {
    throw invalidRequest('network.egress must be "internet" or "none".', [
      { path: 'network.egress', message: 'expected internet or none' },
    ]);
  }
  if (asked === 'internet' && tier.networkEgress === 'none') {
    throw egressNotAllowed(asked, tier.networkEgress, tier.name);
  }
  const egress = asked ?? tier.networkEgress;
  const role = request.role ?? DEFAULT_ROLE;
  if (egress === 'none' && role !== DEFAULT_ROLE) {
    throw invalidRequest(
      `Role ${role} installs packages from the network, which a container with network egress ` +
        `"none" cannot reach; use role ${DEFAULT_ROLE} or egress "internet".`,
      [{ path: 'role', message: `expected ${DEFAULT_ROLE} with network.egress none` }],
    );
  }
  return egress;
}
