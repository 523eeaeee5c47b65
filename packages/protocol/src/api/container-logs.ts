// The setup log of a container (GET /api/v1/containers/:id/logs): the tail of its role setup's
// output and whether earlier output was dropped. Keeping and truncating it is the control plane's.
import { z } from 'zod';

/**
 * First line of a setup log whose earlier output was dropped, as the agent sends it; the control
 * plane strips it and answers `truncated: true` instead.
 */
export const SETUP_LOG_TRUNCATED_MARKER = '[rexec: earlier setup output dropped]';

export const ContainerLogs = z.object({
  /** The setup's output (empty for barebone, or before setup ran); on failure ends with why. */
  setup_log: z.string(),
  /** True when earlier output was dropped to keep only the tail. */
  truncated: z.boolean(),
  /** The detail of the last status change (an engine's pull error, …), when there is one. */
  status_detail: z.string().optional(),
});
export type ContainerLogs = z.infer<typeof ContainerLogs>;
