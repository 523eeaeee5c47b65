// Container values on the agent socket: the spec the control plane asks an agent to run, the state
// the engine reports back, and the error a failed command carries. Engine names, labels and CLI
// flags are derived from the spec by the agent (DESIGN §6); desired state stays in Postgres.
import { z } from 'zod';
import { OciReference } from '../api/containers.js';
import {
  ContainerId,
  ContainerName,
  NetworkEgress,
  Resources,
  Timestamp,
  UserId,
} from '../api/common.js';
import { RoleName } from '../api/catalog.js';
import { DetailText, HumanMessage, SnakeCode } from '../fields.js';

const EnvName = z
  .string()
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** At most 64 variables of at most 4 KiB each, so a spec stays small. */
const Env = z
  .record(EnvName, z.string().max(4_096))
  .refine((env) => Object.keys(env).length <= 64, 'must have at most 64 variables');

/** What to run. The agent names it `rexec-<container_id>` and labels it `io.rexec.*`. */
export const ContainerSpec = z.object({
  container_id: ContainerId,
  /** The user's name for it; the agent uses it as the container's hostname. */
  name: ContainerName,
  /** A resolved reference (the catalog's, or the user's custom image), never a catalog name. */
  image: OciReference,
  /**
   * `always`: pull (through a mirror, if any) before every run, so the registry is asked on each
   * use and a copy another tenant left in the engine is never run alone; `missing` (the default):
   * pull only when the engine lacks the image.
   */
  image_pull: z.enum(['always', 'missing']).optional(),
  user_id: UserId,
  role: RoleName,
  resources: Resources,
  pids_limit: z.int().min(16).max(4_194_304),
  /** `none`: no network at all (DNS included); absent means `internet` (public addresses only). */
  network_egress: NetworkEgress.optional(),
  env: Env.optional(),
  /** Role setup, run inside the container after start; absent means nothing to set up. */
  setup_script: z.string().max(65_536).optional(),
});
export type ContainerSpec = z.infer<typeof ContainerSpec>;

/**
 * The engine's view, normalised: engines' other states map onto these (podman `configured` and
 * `initialized` → created, `stopping` and docker `restarting`/`removing` → running). `missing`
 * means the engine has no such container.
 */
export const OBSERVED_STATES = [
  'created',
  'running',
  'paused',
  'exited',
  'dead',
  'missing',
] as const;
export const ObservedState = z.enum(OBSERVED_STATES);
export type ObservedState = z.infer<typeof ObservedState>;

/** Progress of role setup inside a container. */
export const SetupProgress = z.object({
  state: z.enum(['pending', 'running', 'succeeded', 'failed']),
  step: z.string().max(256).optional(),
  detail: DetailText.optional(),
});
export type SetupProgress = z.infer<typeof SetupProgress>;

export const ObservedContainer = z.object({
  container_id: ContainerId,
  /** The engine's own id; null when the container is missing. */
  engine_id: z
    .string()
    .regex(/^[0-9a-f]{12,64}$/, 'must be the engine id (12-64 hex)')
    .nullable(),
  state: ObservedState,
  exit_code: z.int().min(-2_147_483_648).max(2_147_483_647).nullable(),
  oom_killed: z.boolean(),
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
  image: OciReference.optional(),
  setup: SetupProgress.optional(),
});
export type ObservedContainer = z.infer<typeof ObservedContainer>;

/** Reasons an agent gives for a status change; the set is open, these are the known ones. */
export const CONTAINER_STATUS_REASONS = [
  'created',
  'started',
  'stopped',
  'exited',
  'oom_killed',
  'removed',
  'disk_quota_exceeded',
  'disk_unmeasurable',
  'role_setup_started',
  'role_setup_succeeded',
  'role_setup_failed',
] as const;
export type KnownContainerStatusReason = (typeof CONTAINER_STATUS_REASONS)[number];

/** Codes a failed command may carry; the set is open, these are the known ones. */
export const COMMAND_ERROR_CODES = [
  'invalid_command',
  'image_missing',
  'image_pull_failed',
  'image_too_large',
  'insufficient_disk',
  'not_found',
  'conflict',
  'foreign_container',
  'engine_failed',
  'timeout',
  'shutting_down',
] as const;
export type KnownCommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

export const CommandError = z.object({
  code: SnakeCode,
  message: HumanMessage,
  /** The engine's stderr or similar; never secrets. */
  detail: DetailText.optional(),
});
export type CommandError = z.infer<typeof CommandError>;
