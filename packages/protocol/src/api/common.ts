// Value schemas shared by several REST bodies: ids, names, timestamps, resources.
// Id prefixes match the control plane's generator (`ctr_` + 32 hex); the generator itself lives there.
import { z } from 'zod';

/** Builds the schema of an id with the given prefix (`usr`, `tok`, `ctr`, `hst`). */
export function idSchema<P extends string>(prefix: P) {
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`), `must be an id of the form ${prefix}_<32 hex>`);
}

export const UserId = idSchema('usr');
export type UserId = z.infer<typeof UserId>;
export const TokenId = idSchema('tok');
export type TokenId = z.infer<typeof TokenId>;
export const ContainerId = idSchema('ctr');
export type ContainerId = z.infer<typeof ContainerId>;
export const HostId = idSchema('hst');
export type HostId = z.infer<typeof HostId>;

/** Container names: 1–63 of `[a-z0-9-]`, unique per user (DESIGN §3). */
export const CONTAINER_NAME_PATTERN = /^[a-z0-9-]{1,63}$/;
export const ContainerName = z
  .string()
  .min(1)
  .max(63)
  .regex(CONTAINER_NAME_PATTERN, 'must be 1-63 characters of a-z, 0-9 and -');
export type ContainerName = z.infer<typeof ContainerName>;

/** A path reference to a container: its id or the caller's container name. */
export const ContainerRef = z.union([ContainerId, ContainerName], {
  error: 'must be a container id (ctr_<32 hex>) or a container name (1-63 of a-z, 0-9, -)',
});
export type ContainerRef = z.infer<typeof ContainerRef>;

/** Timestamps on the wire are ISO 8601 strings in UTC. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.infer<typeof Timestamp>;

/** Upper bounds keep requests sane long before any tier would accept them. */
export const RESOURCE_BOUNDS = {
  cpu_millicores: 1_024_000,
  memory_mb: 16_777_216,
  disk_mb: 1_073_741_824,
  network_mbps: 1_000_000,
} as const;

const resource = (max: number) => z.int().positive().max(max);

/** A container's resources; every value is a positive integer. */
export const Resources = z.object({
  cpu_millicores: resource(RESOURCE_BOUNDS.cpu_millicores),
  memory_mb: resource(RESOURCE_BOUNDS.memory_mb),
  disk_mb: resource(RESOURCE_BOUNDS.disk_mb),
  network_mbps: resource(RESOURCE_BOUNDS.network_mbps),
});
export type Resources = z.infer<typeof Resources>;

/** Requested resources: each optional (defaults to the tier's default), unknown keys refused. */
export const ResourcesRequest = z.strictObject({
  cpu_millicores: resource(RESOURCE_BOUNDS.cpu_millicores).optional(),
  memory_mb: resource(RESOURCE_BOUNDS.memory_mb).optional(),
  disk_mb: resource(RESOURCE_BOUNDS.disk_mb).optional(),
  network_mbps: resource(RESOURCE_BOUNDS.network_mbps).optional(),
});
export type ResourcesRequest = z.infer<typeof ResourcesRequest>;

/** Host-level amounts (capacity, reservations); network is not scheduled. */
export const HostResources = z.object({
  cpu_millicores: z.int().nonnegative(),
  memory_mb: z.int().nonnegative(),
  disk_mb: z.int().nonnegative(),
});
export type HostResources = z.infer<typeof HostResources>;

/**
 * Where a container's traffic may go (issue 16): `internet` reaches public addresses only (the
 * host, its LAN and other non-public ranges are refused by the host's agent); `none` reaches
 * nothing, DNS included.
 */
export const NETWORK_EGRESS = ['internet', 'none'] as const;
export const NetworkEgress = z.enum(NETWORK_EGRESS);
export type NetworkEgress = z.infer<typeof NetworkEgress>;

/** A container's network settings, as asked in a create and shown on the container. */
export const ContainerNetwork = z.object({ egress: NetworkEgress });
export type ContainerNetwork = z.infer<typeof ContainerNetwork>;
