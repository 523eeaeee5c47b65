// The agent's configuration (DESIGN §2): environment variables and their matching CLI flags, one
// zod schema, errors that name the variable. Reading process.env/argv is main.ts's; this file only
// turns the two into a validated AgentConfig or a ConfigError.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import {
  HOST_AMOUNT_BOUNDS,
  HostName,
  MAX_TERMINAL_SESSIONS_PER_CONTAINER,
  TERMINAL_GRACE_MS,
  TERMINAL_SCROLLBACK_BYTES,
} from '@rexec/protocol';
import { z } from 'zod';
import { ControlPlaneUrls } from './control-plane-urls.js';
import {
  DEFAULT_DISK_CHECK_INTERVAL_MS,
  DEFAULT_MEASURE_TIMEOUT_MS,
  DEFAULT_UNMEASURABLE_AFTER,
} from './disk/disk-monitor.js';
import { DEFAULT_MIN_FREE_DISK_MB } from './disk/storage-space.js';
import { DEFAULT_MAX_IMAGE_MB } from './runtime/image-size.js';
import { DEFAULT_STATS_INTERVAL_MS } from './stats/stats-sampler.js';
import {
  EgressPolicyError,
  parseEgressAllow,
  parseEgressDeny,
  type EgressAllowEntry,
} from './network/egress-policy.js';
import { DEFAULT_HOME_VOLUME_POOL } from './runtime/home-volumes.js';
import { parseRegistryMirrors, RegistryMirrorsError } from './runtime/registry-mirrors.js';
import {
  DEFAULT_SUBNET_POOL,
  DEFAULT_SUBNET_PREFIX,
  parseSubnetPool,
  SubnetPoolError,
} from './runtime/subnet-pool.js';
import { DEFAULT_NETWORK_IDLE_MS } from './runtime/user-networks.js';
import { plainHttpProblem } from './plain-http.js';
import type { SubnetPool } from './runtime/subnet-pool.js';
import type { RegistryMirrors } from './runtime/registry-mirrors.js';

export const DEFAULT_STATE_DIR = '/var/lib/rexec-agent';
/** systemd's RuntimeDirectory=rexec-agent makes it; the agent makes it (0700) when it is missing. */
export const DEFAULT_RUNTIME_DIR = '/run/rexec-agent';

export const RUNTIME_CHOICES = ['auto', 'docker', 'podman'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface CapacityOverrides {
  cpuMillicores?: number;
  memoryMb?: number;
  diskMb?: number;
}

export interface AgentConfig {
  /**
   * The control plane's base URLs without a trailing slash (REXEC_URL: one URL, or a comma-separated
   * list of replicas tried in turn). Never empty.
   */
  urls: readonly URL[];
  joinToken: string | undefined;
  stateDir: string;
  /** Files that live while the agent runs (podman pid files); never a fixed /tmp path. */
  runtimeDir: string;
  runtime: RuntimeChoice;
  hostName: string;
  capacity: CapacityOverrides;
  logLevel: (typeof LOG_LEVELS)[number];
  terminal: TerminalConfig;
  /** How long a role's setup may run inside a new container before it is role_setup_failed. */
  roleSetupTimeoutMs: number;
  /** Time between two disk measurements of every limited container (measured enforcement). */
  diskCheckMs: number;
  /** Time between two stats passes (cpu, memory, pids, network of every running container). */
  statsIntervalMs: number;
  /** Registry host → mirror host, used when an image must be pulled. */
  registryMirrors: RegistryMirrors;
  /** Host TCP ports containers may reach despite the host guard (a package cache, say). */
  containerHostPorts: readonly number[];
  /** Non-public destinations containers may reach after all (REXEC_EGRESS_ALLOW). */
  egressAllow: readonly EgressAllowEntry[];
  /** Ranges refused on top of the default non-public ones (REXEC_EGRESS_DENY). */
  egressDeny: readonly string[];
  /** Where each user's network on this host takes its subnet from. */
  userNetworkPool: SubnetPool;
  /** How long a user's network outlives their last container here (0: it goes with it). */
  userNetworkIdleMs: number;
  /** Home volumes kept created ahead, so a create need not wait for one (0: none). */
  homeVolumePool: number;
  /** One container's disk measurement fails after this long (then counts as a failure). */
  diskMeasureTimeoutMs: number;
  /** Failed measurements in a row that stop a container with `disk_unmeasurable`. */
  diskMeasureFailures: number;
  /** Images larger than this are refused and removed (0: no cap). */
  maxImageMb: number;
  /** Creates are refused while the engine's storage has less free (0: never). */
  minFreeDiskMb: number;
  /** The Prometheus listener (REXEC_METRICS_BIND, REXEC_METRICS_PORT); undefined when off. */
  metrics: { bind: string; port: number } | undefined;
}

export interface TerminalConfig {
  /** How long a detached shell lives before it is killed. */
  graceMs: number;
  scrollbackBytes: number;
  maxSessionsPerContainer: number;
}

/** Thrown when a variable or flag is invalid; the message names it, main exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// Variable name → flag name; a flag wins over its variable.
const VARIABLES = {
  REXEC_URL: 'url',
  REXEC_JOIN_TOKEN: 'join-token',
  REXEC_AGENT_STATE_DIR: 'state-dir',
  REXEC_AGENT_RUNTIME_DIR: 'runtime-dir',
  REXEC_INSECURE_HTTP: 'insecure-http',
  REXEC_RUNTIME: 'runtime',
  REXEC_HOST_NAME: 'host-name',
  REXEC_CAPACITY_CPU_MILLICORES: 'capacity-cpu-millicores',
  REXEC_CAPACITY_MEMORY_MB: 'capacity-memory-mb',
  REXEC_CAPACITY_DISK_MB: 'capacity-disk-mb',
  REXEC_LOG_LEVEL: 'log-level',
  REXEC_TERMINAL_GRACE_SECONDS: 'terminal-grace-seconds',
  REXEC_TERMINAL_SCROLLBACK_KB: 'terminal-scrollback-kb',
  REXEC_TERMINAL_MAX_SESSIONS: 'terminal-max-sessions',
  REXEC_ROLE_SETUP_TIMEOUT_SECONDS: 'role-setup-timeout-seconds',
  REXEC_DISK_CHECK_SECONDS: 'disk-check-seconds',
  REXEC_STATS_INTERVAL_SECONDS: 'stats-interval-seconds',
  REXEC_REGISTRY_MIRRORS: 'registry-mirrors',
  REXEC_CONTAINER_HOST_PORTS: 'container-host-ports',
  REXEC_EGRESS_ALLOW: 'egress-allow',
  REXEC_EGRESS_DENY: 'egress-deny',
  REXEC_USER_NETWORK_POOL: 'user-network-pool',
  REXEC_USER_SUBNET_PREFIX: 'user-subnet-prefix',
  REXEC_USER_NETWORK_IDLE_SECONDS: 'user-network-idle-seconds',
  REXEC_HOME_VOLUME_POOL: 'home-volume-pool',
  REXEC_DISK_MEASURE_TIMEOUT_SECONDS: 'disk-measure-timeout-seconds',
  REXEC_DISK_MEASURE_FAILURES: 'disk-measure-failures',
  REXEC_MAX_IMAGE_MB: 'max-image-mb',
  REXEC_MIN_FREE_DISK_MB: 'min-free-disk-mb',
  REXEC_METRICS_PORT: 'metrics-port',
  REXEC_METRICS_BIND: 'metrics-bind',
} as const;
type Variable = keyof typeof VARIABLES;
/** Flags given bare (`--insecure-http`), not with a value. */
const BOOLEAN_FLAGS: readonly string[] = ['insecure-http'];

const amount = (max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().nonnegative().max(max))
    .optional();

// Bounds keep a typo from becoming a shell that lives for a year or a ring that eats the host.
const bounded = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .default(fallback);

const PortList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[0-9]+$/, 'must be a comma list of port numbers')
        .transform(Number)
        .pipe(z.int().min(1, 'ports are 1-65535').max(65_535, 'ports are 1-65535')),
    ),
  );

/** An REXEC_EGRESS_* list through its parser; the parser's message names the bad entry. */
const egressList = <T>(parse: (text: string) => T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return parse(text);
      } catch (error) {
        if (!(error instanceof EgressPolicyError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    })
    .optional();

const Schema = z.object({
  REXEC_URL: ControlPlaneUrls,
  REXEC_JOIN_TOKEN: z
    .string()
    .min(1)
    .max(512)
    .regex(/^\S+$/, 'must not contain whitespace')
    .optional(),
  REXEC_AGENT_STATE_DIR: z.string().min(1).default(DEFAULT_STATE_DIR),
  REXEC_AGENT_RUNTIME_DIR: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .default(DEFAULT_RUNTIME_DIR),
  REXEC_INSECURE_HTTP: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((text) => text === 'true' || text === '1')
    .default(false),
  REXEC_RUNTIME: z.enum(RUNTIME_CHOICES).default('auto'),
  REXEC_HOST_NAME: HostName.optional(),
  REXEC_CAPACITY_CPU_MILLICORES: amount(HOST_AMOUNT_BOUNDS.cpu_millicores),
  REXEC_CAPACITY_MEMORY_MB: amount(HOST_AMOUNT_BOUNDS.memory_mb),
  REXEC_CAPACITY_DISK_MB: amount(HOST_AMOUNT_BOUNDS.disk_mb),
  REXEC_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  REXEC_TERMINAL_GRACE_SECONDS: bounded(0, 7 * 24 * 3600, TERMINAL_GRACE_MS / 1000),
  REXEC_TERMINAL_SCROLLBACK_KB: bounded(1, 64 * 1024, TERMINAL_SCROLLBACK_BYTES / 1024),
  REXEC_TERMINAL_MAX_SESSIONS: bounded(1, 1024, MAX_TERMINAL_SESSIONS_PER_CONTAINER),
  // An hour at most: the control plane waits that long (plus a pull) for a create's answer.
  REXEC_ROLE_SETUP_TIMEOUT_SECONDS: bounded(1, 3600, 600),
  REXEC_DISK_CHECK_SECONDS: bounded(1, 86_400, DEFAULT_DISK_CHECK_INTERVAL_MS / 1000),
  REXEC_STATS_INTERVAL_SECONDS: bounded(1, 3600, DEFAULT_STATS_INTERVAL_MS / 1000),
  REXEC_REGISTRY_MIRRORS: z
    .string()
    .transform((text, ctx) => {
      try {
        return parseRegistryMirrors(text);
      } catch (error) {
        if (!(error instanceof RegistryMirrorsError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    })
    .optional(),
  REXEC_CONTAINER_HOST_PORTS: PortList.optional(),
  REXEC_EGRESS_ALLOW: egressList(parseEgressAllow),
  REXEC_EGRESS_DENY: egressList(parseEgressDeny),
  REXEC_USER_NETWORK_POOL: z.string().default(DEFAULT_SUBNET_POOL),
  REXEC_USER_SUBNET_PREFIX: bounded(1, 32, DEFAULT_SUBNET_PREFIX),
  REXEC_USER_NETWORK_IDLE_SECONDS: bounded(0, 7 * 24 * 3600, DEFAULT_NETWORK_IDLE_MS / 1000),
  REXEC_HOME_VOLUME_POOL: bounded(0, 64, DEFAULT_HOME_VOLUME_POOL),
  REXEC_DISK_MEASURE_TIMEOUT_SECONDS: bounded(1, 3600, DEFAULT_MEASURE_TIMEOUT_MS / 1000),
  REXEC_DISK_MEASURE_FAILURES: bounded(1, 100, DEFAULT_UNMEASURABLE_AFTER),
  REXEC_MAX_IMAGE_MB: bounded(0, HOST_AMOUNT_BOUNDS.disk_mb, DEFAULT_MAX_IMAGE_MB),
  REXEC_MIN_FREE_DISK_MB: bounded(0, HOST_AMOUNT_BOUNDS.disk_mb, DEFAULT_MIN_FREE_DISK_MB),
  // Unset keeps the metrics listener off (the agent has no other listener).
  REXEC_METRICS_PORT: z
    .string()
    .regex(/^[0-9]{1,5}$/, 'must be a port number from 0 to 65535')
    .transform(Number)
    .pipe(z.int().max(65_535, 'must be a port number from 0 to 65535'))
    .optional(),
  REXEC_METRICS_BIND: z
    .string()
    .default('127.0.0.1')
    .pipe(z.union([z.ipv4(), z.ipv6(), z.literal('localhost'), z.hostname()])),
});

// The pool and the prefix are checked together: the prefix must fit inside the pool.
function subnetPool(cidr: string, prefix: number): SubnetPool {
  try {
    return parseSubnetPool(cidr, prefix);
  } catch (error) {
    if (!(error instanceof SubnetPoolError)) throw error;
    throw new ConfigError(
      `invalid agent configuration: REXEC_USER_NETWORK_POOL (--user-network-pool) / ` +
        `REXEC_USER_SUBNET_PREFIX (--user-subnet-prefix): ${error.message}`,
    );
  }
}

function readFlags(argv: readonly string[]): Partial<Record<Variable, string>> {
  const options: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries(
    Object.values(VARIABLES).map((flag) => [flag, { type: 'string' as const }]),
  );
  for (const flag of BOOLEAN_FLAGS) options[flag] = { type: 'boolean' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs quotes a stray argument, which may be a secret typed in the wrong place.
    const stray = (error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
    throw new ConfigError(
      `bad command line: ${stray ? 'unexpected argument (not shown: it may hold a secret); every setting is a --flag' : (error as Error).message}`,
    );
  }
  const out: Partial<Record<Variable, string>> = {};
  for (const [variable, flag] of Object.entries(VARIABLES) as [Variable, string][]) {
    const value = values[flag];
    if (typeof value === 'string') out[variable] = value;
    if (value === true) out[variable] = 'true';
  }
  return out;
}

/**
 * Validates the environment and flags. Empty variables count as unset, so `REXEC_JOIN_TOKEN=` in a
 * unit file does not become an empty token. Throws ConfigError naming each bad variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): AgentConfig {
  const raw: Partial<Record<Variable, string>> = {};
  for (const variable of Object.keys(VARIABLES) as Variable[]) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[variable] = value;
  }
  Object.assign(raw, readFlags(argv));
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'configuration');
      const flag = VARIABLES[variable as Variable];
      return `${variable}${flag === undefined ? '' : ` (--${flag})`} ${issue.message}`;
    });
    throw new ConfigError(`invalid agent configuration: ${lines.join('; ')}`);
  }
  const value = parsed.data;
  for (const url of value.REXEC_URL) {
    const plainHttp = plainHttpProblem(url, value.REXEC_INSECURE_HTTP);
    if (plainHttp !== null) throw new ConfigError(`invalid agent configuration: ${plainHttp}`);
  }
  return {
    urls: value.REXEC_URL,
    joinToken: value.REXEC_JOIN_TOKEN,
    stateDir: value.REXEC_AGENT_STATE_DIR,
    runtimeDir: value.REXEC_AGENT_RUNTIME_DIR,
    runtime: value.REXEC_RUNTIME,
    hostName: value.REXEC_HOST_NAME ?? defaultHostName(),
    capacity: {
      ...(value.REXEC_CAPACITY_CPU_MILLICORES === undefined
        ? {}
        : { cpuMillicores: value.REXEC_CAPACITY_CPU_MILLICORES }),
      ...(value.REXEC_CAPACITY_MEMORY_MB === undefined
        ? {}
        : { memoryMb: value.REXEC_CAPACITY_MEMORY_MB }),
      ...(value.REXEC_CAPACITY_DISK_MB === undefined
        ? {}
        : { diskMb: value.REXEC_CAPACITY_DISK_MB }),
    },
    logLevel: value.REXEC_LOG_LEVEL,
    terminal: {
      graceMs: value.REXEC_TERMINAL_GRACE_SECONDS * 1000,
      scrollbackBytes: value.REXEC_TERMINAL_SCROLLBACK_KB * 1024,
      maxSessionsPerContainer: value.REXEC_TERMINAL_MAX_SESSIONS,
    },
    roleSetupTimeoutMs: value.REXEC_ROLE_SETUP_TIMEOUT_SECONDS * 1000,
    diskCheckMs: value.REXEC_DISK_CHECK_SECONDS * 1000,
    statsIntervalMs: value.REXEC_STATS_INTERVAL_SECONDS * 1000,
    registryMirrors: value.REXEC_REGISTRY_MIRRORS ?? new Map(),
    containerHostPorts: [...new Set(value.REXEC_CONTAINER_HOST_PORTS ?? [])],
    egressAllow: value.REXEC_EGRESS_ALLOW ?? [],
    egressDeny: value.REXEC_EGRESS_DENY ?? [],
    userNetworkPool: subnetPool(value.REXEC_USER_NETWORK_POOL, value.REXEC_USER_SUBNET_PREFIX),
    userNetworkIdleMs: value.REXEC_USER_NETWORK_IDLE_SECONDS * 1000,
    homeVolumePool: value.REXEC_HOME_VOLUME_POOL,
    diskMeasureTimeoutMs: value.REXEC_DISK_MEASURE_TIMEOUT_SECONDS * 1000,
    diskMeasureFailures: value.REXEC_DISK_MEASURE_FAILURES,
    maxImageMb: value.REXEC_MAX_IMAGE_MB,
    minFreeDiskMb: value.REXEC_MIN_FREE_DISK_MB,
    metrics:
      value.REXEC_METRICS_PORT === undefined
        ? undefined
        : { bind: value.REXEC_METRICS_BIND, port: value.REXEC_METRICS_PORT },
  };
}

// os.hostname() may carry characters HostName refuses (rare, but an agent must still start).
function defaultHostName(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return name === '' ? 'localhost' : name.slice(0, 253);
}
