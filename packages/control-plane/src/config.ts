// The control plane's configuration (DESIGN §2): one zod schema over the environment, plus the
// matching command-line flags. Reading process.env and process.argv is main.ts's job; this file
// only validates what it is given, naming the variable in every error.
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_UPLOAD_MB } from '@rexec/protocol';
import { z } from 'zod';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from './db/open.js';
import { DEFAULT_RECONCILE_SECONDS } from './lifecycle/periodic-reconcile.js';
import { trustedProxyProblem } from './http/client-address.js';
import { DEFAULT_AUTH_FAILURES_PER_MIN, DEFAULT_ENROLLS_PER_MIN } from './http/ip-limits.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from './lifecycle/audit-retention.js';
import {
  DEFAULT_ACTIVITY_FLUSH_SECONDS,
  DEFAULT_IDLE_CPU_MILLICORES,
} from './activity/activity-tracker.js';
import { DEFAULT_IDLE_CHECK_SECONDS } from './lifecycle/idle-stop.js';
import { DEFAULT_CPU_OVERCOMMIT, MAX_CPU_OVERCOMMIT } from './scheduler/cpu-overcommit.js';
import { parseAllowedRegistries, type AllowedRegistries } from './services/image-policy.js';
import type { HostApproval } from './services/host-enrollment.js';
import { DEFAULT_HOST_LOST_AFTER_HOURS } from './lifecycle/host-loss.js';
import { parseAllowedCidrs, type AddressPolicy } from './webhooks/address-policy.js';
import type { MetricsListen } from '@rexec/protocol/metrics-server';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Unset and empty are the same: `REXEC_DATABASE_URL=` in an env file means "not configured". */
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const positiveInt = (fallback: string, max: number) =>
  z
    .string()
    .default(fallback)
    .pipe(z.string().regex(/^\d{1,10}$/, 'must be a positive integer'))
    .transform(Number)
    .pipe(z.int().min(1, 'must be at least 1').max(max, `must be at most ${max}`));

const EnvSchema = z.object({
  REXEC_BIND: z
    .string()
    .default('127.0.0.1')
    .pipe(z.union([z.ipv4(), z.ipv6(), z.literal('localhost'), z.hostname()])),
  REXEC_PORT: z
    .string()
    .default('8080')
    .pipe(z.string().regex(/^\d{1,5}$/, 'must be an integer from 0 to 65535'))
    .transform(Number)
    .pipe(z.int().min(0, 'must be 0 or more').max(65535, 'must be at most 65535')),
  // Unset (or empty) keeps the metrics listener off; it never shares the API's port.
  REXEC_METRICS_PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'must be an integer from 0 to 65535')
      .transform(Number)
      .pipe(z.int().max(65535, 'must be at most 65535'))
      .optional(),
  ),
  REXEC_METRICS_BIND: z
    .string()
    .default('127.0.0.1')
    .pipe(z.union([z.ipv4(), z.ipv6(), z.literal('localhost'), z.hostname()])),
  REXEC_DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  // Where other replicas reach this one (terminal forwarding); the scheme, host and port only.
  REXEC_ADVERTISE_URL: optionalString.pipe(
    z
      .string()
      .regex(
        /^https?:\/\/[^\s/?#]+\/?$/,
        'must be an http:// or https:// URL without a path, such as http://10.0.0.5:8080',
      )
      .transform((url) => url.replace(/\/$/, ''))
      .optional(),
  ),
  // Proxies whose X-Forwarded-For names the client (per-address limits, the audit log).
  REXEC_TRUST_PROXY: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const entries = text
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      for (const entry of entries) {
        const problem = trustedProxyProblem(entry);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }
      return entries;
    }),
  // A replica behind a load balancer: /readyz answers 503 this long before it stops serving.
  REXEC_SHUTDOWN_DELAY_SECONDS: z
    .string()
    .default('0')
    .pipe(z.string().regex(/^\d{1,4}$/, 'must be a whole number of seconds'))
    .transform(Number)
    .pipe(z.int().max(300, 'must be at most 300')),
  REXEC_CLUSTER_SECRET: optionalString.pipe(
    z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
  ),
  REXEC_DATA_DIR: z.string().min(1, 'must not be empty').default('./.rexec'),
  REXEC_BOOTSTRAP_ADMIN_TOKEN: optionalString.pipe(
    z
      .string()
      .regex(/^rexec_[0-9a-f]{64}$/, 'must be "rexec_" followed by 64 lowercase hex characters')
      .optional(),
  ),
  REXEC_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  REXEC_SCHEDULER_STRATEGY: z.enum(['binpack', 'spread']).default('binpack'),
  REXEC_EXEC_OUTPUT_LIMIT_KB: positiveInt('1024', 1024 * 1024),
  REXEC_EXEC_MAX_CONCURRENT: positiveInt('16', 4096),
  REXEC_EXEC_BUFFER_KB: positiveInt('1024', 1024 * 1024),
  REXEC_EXEC_GRACE_SECONDS: positiveInt('300', 7 * 24 * 3600),
  REXEC_RECONCILE_SECONDS: positiveInt(String(DEFAULT_RECONCILE_SECONDS), 24 * 3600),
  REXEC_MAX_UPLOAD_MB: positiveInt(String(DEFAULT_MAX_UPLOAD_MB), 1024 * 1024),
  REXEC_CONSOLE_DIR: optionalString,
  REXEC_DATABASE_CONNECT_TIMEOUT_MS: positiveInt(String(DEFAULT_CONNECT_TIMEOUT_MS), 600_000),
  REXEC_DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(String(DEFAULT_STATEMENT_TIMEOUT_MS), 3_600_000),
  REXEC_AUTH_FAILURES_PER_IP_PER_MIN: positiveInt(String(DEFAULT_AUTH_FAILURES_PER_MIN), 1_000_000),
  REXEC_ENROLLS_PER_IP_PER_MIN: positiveInt(String(DEFAULT_ENROLLS_PER_MIN), 1_000_000),
  REXEC_HOST_APPROVAL: z.enum(['auto', 'manual']).default('auto'),
  // Fractional hours are allowed (0.5 = 30 minutes; tests use a few seconds).
  REXEC_HOST_LOST_AFTER_HOURS: z
    .string()
    .default(String(DEFAULT_HOST_LOST_AFTER_HOURS))
    .pipe(z.string().regex(/^\d{1,5}(\.\d{1,6})?$/, 'must be a number of hours such as 24 or 0.5'))
    .transform(Number)
    .pipe(
      z.number().positive('must be more than 0').max(87_600, 'must be at most 87600 (ten years)'),
    ),
  REXEC_AUDIT_RETENTION_DAYS: positiveInt(String(DEFAULT_AUDIT_RETENTION_DAYS), 36_500),
  REXEC_IDLE_CHECK_SECONDS: positiveInt(String(DEFAULT_IDLE_CHECK_SECONDS), 3600),
  // Below the shortest idle stop (one minute), so a replica's activity is written before it counts.
  REXEC_ACTIVITY_FLUSH_SECONDS: positiveInt(String(DEFAULT_ACTIVITY_FLUSH_SECONDS), 30),
  REXEC_IDLE_CPU_MILLICORES: positiveInt(String(DEFAULT_IDLE_CPU_MILLICORES), 1_000_000),
  // Tests only: how many seconds one of a tier's idle_stop_minutes lasts.
  REXEC_IDLE_MINUTE_SECONDS: positiveInt('60', 60),
  REXEC_ALLOWED_REGISTRIES: z
    .string()
    .default('public')
    .transform((text, ctx) => {
      try {
        return parseAllowedRegistries(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  REXEC_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  REXEC_WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseAllowedCidrs(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  REXEC_CPU_OVERCOMMIT: z
    .string()
    .default(String(DEFAULT_CPU_OVERCOMMIT))
    .pipe(
      z
        .string()
        .regex(/^\d{1,3}(\.\d{1,2})?$/, 'must be a number such as 4 or 1.5 (two decimals at most)'),
    )
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, 'must be at least 1 (1 = no overcommit)')
        .max(MAX_CPU_OVERCOMMIT, `must be at most ${MAX_CPU_OVERCOMMIT}`),
    ),
});

export interface Config {
  bind: string;
  port: number;
  /** The Prometheus listener (REXEC_METRICS_BIND, REXEC_METRICS_PORT); undefined when off. */
  metrics: MetricsListen | undefined;
  /** Where other replicas reach this one; unset, the address it listens on (main.ts). */
  advertiseUrl: string | undefined;
  /** Shared by every replica: signs the terminals they forward to each other. */
  clusterSecret: string | undefined;
  /** Unset means the embedded PGlite database in `${dataDir}/db`. */
  databaseUrl: string | undefined;
  dataDir: string;
  bootstrapAdminToken: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  schedulerStrategy: 'binpack' | 'spread';
  /** Exec output kept per stream, in bytes (REXEC_EXEC_OUTPUT_LIMIT_KB). */
  execOutputLimitBytes: number;
  /** Execs one container may run at once (REXEC_EXEC_MAX_CONCURRENT). */
  execMaxConcurrent: number;
  /** A background exec's output kept for reattaching, in bytes (REXEC_EXEC_BUFFER_KB). */
  execBufferBytes: number;
  /** How long a background exec's result is kept after it ends (REXEC_EXEC_GRACE_SECONDS). */
  execGraceMs: number;
  /** How often connected hosts are asked for their inventory and reconciled (REXEC_RECONCILE_SECONDS). */
  reconcileIntervalMs: number;
  /** The largest upload through the files API, in bytes (REXEC_MAX_UPLOAD_MB). */
  maxUploadBytes: number;
  /** The built web console; unset means packages/console/dist beside this package (main.ts). */
  consoleDir: string | undefined;
  /** How many times its CPU capacity a host may reserve; memory and disk are never overcommitted. */
  cpuOvercommit: number;
  /** How long a new Postgres connection may take (REXEC_DATABASE_CONNECT_TIMEOUT_MS). */
  databaseConnectTimeoutMs: number;
  /** Postgres statement_timeout, and the client's wait for any answer (plus a grace). */
  databaseStatementTimeoutMs: number;
  /** Failed authentications per client address per minute before it is refused unlooked. */
  authFailuresPerIpPerMin: number;
  /** Agent enrollment attempts per client address per minute. */
  enrollsPerIpPerMin: number;
  /** `manual`: a new host is `pending` (no work) until an admin approves it. */
  hostApproval: HostApproval;
  /** Registries non-admins' custom images may name (REXEC_ALLOWED_REGISTRIES). */
  allowedRegistries: AllowedRegistries;
  /** How long a host may stay unreachable before its containers are `error`/`host_lost`. */
  hostLostAfterMs: number;
  /** Which addresses webhook deliveries may reach (REXEC_WEBHOOK_ALLOW_PRIVATE, _ALLOWED_CIDRS). */
  webhookPolicy: AddressPolicy;
  /** Audit entries older than this many days are deleted (REXEC_AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  /** How often idle containers are looked for and stopped (REXEC_IDLE_CHECK_SECONDS). */
  idleCheckIntervalMs: number;
  /** How often recorded activity is written to the database (REXEC_ACTIVITY_FLUSH_SECONDS). */
  activityFlushIntervalMs: number;
  /** A container using at least this much CPU is active (REXEC_IDLE_CPU_MILLICORES). */
  idleCpuMillicores: number;
  /** How long one of idle_stop_minutes lasts: a minute, shortened only by tests. */
  idleMinuteMs: number;
  /**
   * How long a stopping replica answers /readyz 503 while still serving, so a load balancer's
   * health checks take it out before it closes (REXEC_SHUTDOWN_DELAY_SECONDS).
   */
  shutdownDelayMs: number;
  /** Proxies trusted to name the client in X-Forwarded-For (REXEC_TRUST_PROXY); none when empty. */
  trustProxy: string[];
}

/** Thrown when the environment or flags hold a bad value; the message names each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Variables whose values are secrets: an error names them but never shows what they hold. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'REXEC_DATABASE_URL',
  'REXEC_BOOTSTRAP_ADMIN_TOKEN',
  'REXEC_CLUSTER_SECRET',
]);

/** What an error may show of a value: plain values as given, secrets not at all. */
function shownValue(variable: string, value: string | undefined): string {
  if (value === undefined) return 'got nothing';
  if (SECRET_VARIABLES.has(variable)) return `value not shown: it may hold a secret`;
  return `got ${JSON.stringify(value)}`;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      return `${variable}: ${issue.message} (${shownValue(variable, env[variable])})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.REXEC_METRICS_PORT !== undefined && e.REXEC_METRICS_PORT === e.REXEC_PORT) {
    if (e.REXEC_PORT !== 0) {
      throw new ConfigError(
        `invalid configuration:\n  REXEC_METRICS_PORT: must differ from REXEC_PORT ` +
          `(got ${e.REXEC_PORT} for both): metrics have their own listener, never the API's`,
      );
    }
  }
  return {
    bind: e.REXEC_BIND,
    port: e.REXEC_PORT,
    metrics:
      e.REXEC_METRICS_PORT === undefined
        ? undefined
        : { bind: e.REXEC_METRICS_BIND, port: e.REXEC_METRICS_PORT },
    advertiseUrl: e.REXEC_ADVERTISE_URL,
    clusterSecret: e.REXEC_CLUSTER_SECRET,
    databaseUrl: e.REXEC_DATABASE_URL,
    dataDir: e.REXEC_DATA_DIR,
    bootstrapAdminToken: e.REXEC_BOOTSTRAP_ADMIN_TOKEN,
    logLevel: e.REXEC_LOG_LEVEL,
    schedulerStrategy: e.REXEC_SCHEDULER_STRATEGY,
    execOutputLimitBytes: e.REXEC_EXEC_OUTPUT_LIMIT_KB * 1024,
    execMaxConcurrent: e.REXEC_EXEC_MAX_CONCURRENT,
    execBufferBytes: e.REXEC_EXEC_BUFFER_KB * 1024,
    execGraceMs: e.REXEC_EXEC_GRACE_SECONDS * 1000,
    reconcileIntervalMs: e.REXEC_RECONCILE_SECONDS * 1000,
    maxUploadBytes: e.REXEC_MAX_UPLOAD_MB * 1024 * 1024,
    consoleDir: e.REXEC_CONSOLE_DIR,
    cpuOvercommit: e.REXEC_CPU_OVERCOMMIT,
    databaseConnectTimeoutMs: e.REXEC_DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: e.REXEC_DATABASE_STATEMENT_TIMEOUT_MS,
    authFailuresPerIpPerMin: e.REXEC_AUTH_FAILURES_PER_IP_PER_MIN,
    enrollsPerIpPerMin: e.REXEC_ENROLLS_PER_IP_PER_MIN,
    hostApproval: e.REXEC_HOST_APPROVAL,
    auditRetentionDays: e.REXEC_AUDIT_RETENTION_DAYS,
    idleCheckIntervalMs: e.REXEC_IDLE_CHECK_SECONDS * 1000,
    activityFlushIntervalMs: e.REXEC_ACTIVITY_FLUSH_SECONDS * 1000,
    idleCpuMillicores: e.REXEC_IDLE_CPU_MILLICORES,
    idleMinuteMs: e.REXEC_IDLE_MINUTE_SECONDS * 1000,
    shutdownDelayMs: e.REXEC_SHUTDOWN_DELAY_SECONDS * 1000,
    trustProxy: e.REXEC_TRUST_PROXY,
    allowedRegistries: e.REXEC_ALLOWED_REGISTRIES,
    hostLostAfterMs: Math.round(e.REXEC_HOST_LOST_AFTER_HOURS * 3_600_000),
    webhookPolicy: {
      allowPrivate: e.REXEC_WEBHOOK_ALLOW_PRIVATE,
      allowedCidrs: e.REXEC_WEBHOOK_ALLOWED_CIDRS,
    },
  };
}

/** Each flag and the variable it overrides. The admin token has no flag: argv is world-readable. */
const FLAGS = {
  bind: 'REXEC_BIND',
  port: 'REXEC_PORT',
  'database-url': 'REXEC_DATABASE_URL',
  'data-dir': 'REXEC_DATA_DIR',
  'log-level': 'REXEC_LOG_LEVEL',
  'scheduler-strategy': 'REXEC_SCHEDULER_STRATEGY',
  'console-dir': 'REXEC_CONSOLE_DIR',
  'cpu-overcommit': 'REXEC_CPU_OVERCOMMIT',
  'host-approval': 'REXEC_HOST_APPROVAL',
  'allowed-registries': 'REXEC_ALLOWED_REGISTRIES',
  'host-lost-after-hours': 'REXEC_HOST_LOST_AFTER_HOURS',
  'metrics-port': 'REXEC_METRICS_PORT',
  'metrics-bind': 'REXEC_METRICS_BIND',
  'advertise-url': 'REXEC_ADVERTISE_URL',
  'shutdown-delay-seconds': 'REXEC_SHUTDOWN_DELAY_SECONDS',
  'trust-proxy': 'REXEC_TRUST_PROXY',
} as const;

export const USAGE = `usage: rexec-control-plane [${Object.entries(FLAGS)
  .map(([flag, variable]) => `--${flag} <${variable}>`)
  .join('] [')}]`;

/** parseArgs quotes a stray argument, which may be a secret typed in the wrong place: not shown. */
export function argumentProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return 'unexpected argument (not shown: it may hold a secret); every setting is a --flag';
  }
  return (error as Error).message;
}

/**
 * Overlays command-line flags on the environment (a flag wins over its variable).
 * Unknown flags and stray arguments are a ConfigError that shows the usage.
 */
export function applyFlags(
  env: Record<string, string | undefined>,
  argv: readonly string[],
): Record<string, string | undefined> {
  let values: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(
      Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }]),
    );
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`${argumentProblem(error)}\n${USAGE}`, { cause: error });
  }
  const merged = { ...env };
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const value = values[flag];
    if (value !== undefined) merged[variable] = value;
  }
  return merged;
}
