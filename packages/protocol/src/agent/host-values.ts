// What an agent says about its host: the container runtime, allocatable capacity and usage.
// Measuring these (systeminformation, engine stats) is the agent's job; deciding what fits where is
// the scheduler's. Amounts are integers in the unit their name carries.
import { z } from 'zod';
import { ContainerId } from '../api/common.js';
import { SnakeCode, VersionString } from '../fields.js';

const amount = (max: number) => z.int().nonnegative().max(max);

/** Upper bounds far above any real machine, so a corrupt number is refused rather than stored. */
export const HOST_AMOUNT_BOUNDS = {
  cpu_millicores: 16_384_000,
  memory_mb: 1 << 30,
  disk_mb: 2 ** 40,
} as const;

export const RUNTIME_KINDS = ['docker', 'podman'] as const;
export const RuntimeKind = z.enum(RUNTIME_KINDS);
export type RuntimeKind = z.infer<typeof RuntimeKind>;

/**
 * How the host enforces `disk_mb`: the storage driver's quota (`--storage-opt size=`), the agent
 * measuring and stopping offenders (`monitor`), or not at all.
 */
export const DiskEnforcement = z.enum(['storage_opt', 'monitor', 'none']);
export type DiskEnforcement = z.infer<typeof DiskEnforcement>;

export const RuntimeInfo = z.object({
  kind: RuntimeKind,
  version: VersionString,
  storage_driver: z.string().max(64).optional(),
  disk_enforcement: DiskEnforcement,
  /** With `monitor` (and `storage_opt`, for the home volume): how often disk usage is measured. */
  disk_check_seconds: z.int().min(1).max(86_400).optional(),
  /** Whether traffic is shaped to `network_mbps` both ways (tc in the container's network namespace). */
  network_shaping: z.boolean(),
  /** Whether each user's containers get their own network and are kept off the host's ports. */
  network_isolation: z.boolean().optional(),
  /** Why shaping or isolation is off, for the admin (missing tc, not root, …). */
  enforcement_detail: z.string().max(500).optional(),
  /**
   * Whether containers run in a user namespace, so uid 0 inside is an unprivileged uid on the
   * host (podman `--userns=auto`, docker `userns-remap`). Absent from older agents: off.
   */
  user_namespaces: z.boolean().optional(),
  /** The range used, or what the operator must configure to turn user namespaces on. */
  user_namespaces_detail: z.string().max(500).optional(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

/** Allocatable capacity: what the scheduler may hand out, after any reserve for the host itself. */
export const HostCapacity = z.object({
  cpu_millicores: amount(HOST_AMOUNT_BOUNDS.cpu_millicores),
  memory_mb: amount(HOST_AMOUNT_BOUNDS.memory_mb),
  disk_mb: amount(HOST_AMOUNT_BOUNDS.disk_mb),
});
export type HostCapacity = z.infer<typeof HostCapacity>;

/** Host-wide amounts in use right now (all processes, not only containers). */
export const HostUsage = z.object({
  cpu_millicores: amount(HOST_AMOUNT_BOUNDS.cpu_millicores),
  memory_mb: amount(HOST_AMOUNT_BOUNDS.memory_mb),
  disk_mb: amount(HOST_AMOUNT_BOUNDS.disk_mb),
});
export type HostUsage = z.infer<typeof HostUsage>;

/** HOST_AMOUNT_BOUNDS.memory_mb in bytes: 2^50, still exact as a JavaScript number. */
const MAX_MEMORY_BYTES = HOST_AMOUNT_BOUNDS.memory_mb * 1024 * 1024;

/**
 * One container's usage; each amount is optional because each is measured on its own schedule
 * (disk by the disk monitor; cpu, memory, pids and network by the stats sampler, DESIGN §8.3).
 * `cpu_millicores` is the CPU used over the last sampling interval (1000 = one core busy).
 */
export const ContainerUsage = z.object({
  container_id: ContainerId,
  cpu_millicores: amount(HOST_AMOUNT_BOUNDS.cpu_millicores).optional(),
  memory_mb: amount(HOST_AMOUNT_BOUNDS.memory_mb).optional(),
  disk_mb: amount(HOST_AMOUNT_BOUNDS.disk_mb).optional(),
  pids: amount(4_194_304).optional(),
  network_rx_bytes: z.int().nonnegative().optional(),
  network_tx_bytes: z.int().nonnegative().optional(),
  /** Memory in use, exactly as the engine counts it (`memory_mb` rounds it up to whole MB). */
  memory_bytes: z.int().nonnegative().max(MAX_MEMORY_BYTES).optional(),
  /** The memory limit the engine enforces (the host's memory when the container has none). */
  memory_limit_bytes: z.int().nonnegative().max(MAX_MEMORY_BYTES).optional(),
});
export type ContainerUsage = z.infer<typeof ContainerUsage>;

/**
 * Free space where the engine keeps images and containers, and whether it is below the agent's
 * REXEC_MIN_FREE_DISK_MB: a host that is `low` refuses creates and the scheduler skips it.
 */
export const HostStorage = z.object({
  free_mb: amount(HOST_AMOUNT_BOUNDS.disk_mb),
  low: z.boolean(),
});
export type HostStorage = z.infer<typeof HostStorage>;

/** Optional facts about the machine, shown to admins. */
export const HostPlatform = z.object({
  os: z.string().max(128),
  arch: z.string().max(32),
  kernel: z.string().max(128),
});
export type HostPlatform = z.infer<typeof HostPlatform>;

/**
 * One check the agent made of its host (`rexec-agent doctor` makes the same ones): a failed
 * `required` check means containers would fail there, so the control plane schedules nothing on
 * the host (`scheduling: "unhealthy"`); a failed optional one loses a feature and is only shown.
 * The message names the package or setting that fixes a failure.
 */
export const HostHealthCheck = z.object({
  check: SnakeCode,
  ok: z.boolean(),
  required: z.boolean(),
  message: z.string().max(500),
});
export type HostHealthCheck = z.infer<typeof HostHealthCheck>;
export const MAX_HOST_HEALTH_CHECKS = 32;
export const HostHealth = z.array(HostHealthCheck).max(MAX_HOST_HEALTH_CHECKS);

/** Features an agent may announce in HELLO; unknown names are ignored by older control planes. */
export const AGENT_CAPABILITIES = [
  'terminal',
  'role_setup',
  'disk_monitor',
  'exec',
  'files',
  /** Keeps command results until CONTROL_RESULT_ACK and re-sends them after a reconnect (§7). */
  'result_ack',
  /** Answers CONTROL_INVENTORY_QUERY with AGENT_INVENTORY (periodic reconciliation, §7). */
  'inventory',
] as const;
export type AgentCapability = (typeof AGENT_CAPABILITIES)[number];
export const AgentCapabilities = z.array(SnakeCode).max(32);

/** Features a control plane may announce in WELCOME; an agent ignores names it does not know. */
export const CONTROL_CAPABILITIES = ['result_ack', 'inventory'] as const;
export type ControlCapability = (typeof CONTROL_CAPABILITIES)[number];
export const ControlCapabilities = z.array(SnakeCode).max(32);
