// Tier REST bodies (DESIGN §4, §8.4): per-container maxima and defaults, container count, session
// length, idle stop, rate limits. Seeded values and storage are the control plane's;
// `session_hours: null` means unlimited, `idle_stop_minutes: null` never stops an idle container.
import { z } from 'zod';
import { NetworkEgress, RESOURCE_BOUNDS, Resources, ResourcesRequest } from './common.js';

export const TierName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and -');
export type TierName = z.infer<typeof TierName>;

const positive = (max: number) => z.int().positive().max(max);

/** The longest idle stop a tier may set: 30 days, in minutes. */
export const MAX_IDLE_STOP_MINUTES = 43_200;

/** Requests per minute per user, by category. */
export const TierRateLimits = z.object({
  create_per_minute: positive(100_000),
  operations_per_minute: positive(100_000),
  list_per_minute: positive(100_000),
});
export type TierRateLimits = z.infer<typeof TierRateLimits>;

export const Tier = z.object({
  name: TierName,
  cpu_millicores: positive(RESOURCE_BOUNDS.cpu_millicores),
  memory_mb: positive(RESOURCE_BOUNDS.memory_mb),
  disk_mb: positive(RESOURCE_BOUNDS.disk_mb),
  network_mbps: positive(RESOURCE_BOUNDS.network_mbps),
  /**
   * What a create gets for each resource it omits; each at most the maximum beside it. Optional
   * only because it was added within v1: this server always sends it.
   */
  default_resources: Resources.optional(),
  /**
   * Where its containers' traffic may go: `internet` (public addresses) or `none`. Optional only
   * because it was added within v1: this server always sends it.
   */
  network_egress: NetworkEgress.optional(),
  max_containers: z.int().nonnegative().max(100_000),
  session_hours: positive(100_000).nullable(),
  /**
   * A running container with no activity (terminal input, exec, file transfer, CPU use) for this
   * many minutes is stopped with reason `idle`; null never stops one. Optional only because it
   * was added within v1: this server always sends it.
   */
  idle_stop_minutes: positive(MAX_IDLE_STOP_MINUTES).nullable().optional(),
  rate_limits: TierRateLimits,
});
export type Tier = z.infer<typeof Tier>;

export const TierList = z.object({ tiers: z.array(Tier) });
export type TierList = z.infer<typeof TierList>;

/** Admin `PATCH /tiers/:name`: any subset of the editable fields, at least one. */
export const TierPatch = z
  .strictObject({
    cpu_millicores: Tier.shape.cpu_millicores.optional(),
    memory_mb: Tier.shape.memory_mb.optional(),
    disk_mb: Tier.shape.disk_mb.optional(),
    network_mbps: Tier.shape.network_mbps.optional(),
    default_resources: ResourcesRequest.optional(),
    network_egress: NetworkEgress.optional(),
    max_containers: Tier.shape.max_containers.optional(),
    session_hours: Tier.shape.session_hours.optional(),
    idle_stop_minutes: positive(MAX_IDLE_STOP_MINUTES).nullable().optional(),
    rate_limits: z
      .strictObject({
        create_per_minute: TierRateLimits.shape.create_per_minute.optional(),
        operations_per_minute: TierRateLimits.shape.operations_per_minute.optional(),
        list_per_minute: TierRateLimits.shape.list_per_minute.optional(),
      })
      .optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field must be given');
export type TierPatch = z.infer<typeof TierPatch>;
