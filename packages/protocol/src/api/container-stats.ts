// The latest resource sample of a container (GET /api/v1/containers/:id/stats, DESIGN §8.3): what
// its host's agent last measured, at most every REXEC_STATS_INTERVAL_MS. Sampling is the agent's,
// storing the control plane's; a figure nobody measured yet is null rather than a guess.
import { z } from 'zod';
import { Timestamp } from './common.js';

const bytes = z.int().nonnegative().nullable();

export const ContainerStats = z.object({
  /** CPU over the last sampling interval, in percent of one core (200 = two cores busy). */
  cpu_percent: z.number().nonnegative().nullable(),
  memory_bytes: bytes,
  /** The engine's limit when it reported one, else the container's `memory_mb`. */
  memory_limit_bytes: z.int().nonnegative(),
  /** Writable layer plus volumes, as the disk monitor last measured them (also when stopped). */
  disk_used_mb: z.int().nonnegative().nullable(),
  disk_limit_mb: z.int().nonnegative(),
  net_rx_bytes: bytes,
  net_tx_bytes: bytes,
  pids: z.int().nonnegative().nullable(),
  /**
   * When the control plane received the sample; null when the container is not running or was not
   * sampled since it last started (the figures above are then null too, disk and limits aside).
   */
  at: Timestamp.nullable(),
});
export type ContainerStats = z.infer<typeof ContainerStats>;
