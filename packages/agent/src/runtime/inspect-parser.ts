// Parses `container inspect` JSON (docker and podman print the same shape for the fields used
// here) into ObservedContainer. Tolerant of extra fields, strict about the ones read. Deciding
// whether a container may be touched is cli-runtime.ts's job.
import { z } from 'zod';
import { RuntimeError } from './errors.js';
import { LABEL_CONTAINER_ID, LABEL_HOST_ID, LABEL_USER_ID } from './labels.js';
import type { ContainerState, ObservedContainer, ObservedLimits } from './types.js';

const InspectedContainer = z.object({
  Id: z.string().min(1),
  Name: z.string(),
  State: z.object({
    Status: z.string(),
    OOMKilled: z.boolean(),
    ExitCode: z.number().int(),
    StartedAt: z.string(),
    FinishedAt: z.string(),
  }),
  Config: z.object({
    Image: z.string(),
    Labels: z.record(z.string(), z.string()).nullish(),
  }),
  HostConfig: z.object({
    NanoCpus: z.number().nullish(),
    CpuQuota: z.number().nullish(),
    CpuPeriod: z.number().nullish(),
    Memory: z.number().nullish(),
    MemorySwap: z.number().nullish(),
    PidsLimit: z.number().nullish(),
  }),
});
type InspectedContainer = z.infer<typeof InspectedContainer>;

const InspectOutput = z.array(InspectedContainer);

/** A container as the engine describes it, before the io.rexec.* labels are checked. */
export interface EngineContainer {
  engineId: string;
  labels: Readonly<Record<string, string>>;
  /** Null when the container carries no io.rexec.container-id label (not Rexec's). */
  observed: ObservedContainer | null;
}

// Engines print Go's zero time for "never".
function parseTime(value: string): Date | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) || ms <= 0 ? null : new Date(ms);
}

// podman has more states than docker; both fold into the five the control plane uses.
function foldState(status: string): ContainerState {
  switch (status.toLowerCase()) {
    case 'running':
    case 'restarting':
    case 'stopping':
      return 'running';
    case 'paused':
      return 'paused';
    case 'created':
    case 'configured':
    case 'initialized':
      return 'created';
    case 'exited':
    case 'stopped':
      return 'exited';
    default:
      // removing, dead, unknown: the container is not usable any more.
      return 'dead';
  }
}

const MB = 1024 * 1024;

function positive(value: number | null | undefined): number | null {
  return value === null || value === undefined || value <= 0 ? null : value;
}

function limitsOf(host: InspectedContainer['HostConfig']): ObservedLimits {
  const nano = positive(host.NanoCpus);
  const quota = positive(host.CpuQuota);
  const period = positive(host.CpuPeriod);
  let cpuMillicores: number | null = null;
  if (nano !== null) cpuMillicores = Math.round(nano / 1_000_000);
  else if (quota !== null && period !== null) cpuMillicores = Math.round((quota / period) * 1000);
  const memory = positive(host.Memory);
  const swap = positive(host.MemorySwap);
  return {
    cpuMillicores,
    memoryMb: memory === null ? null : memory / MB,
    memorySwapMb: swap === null ? null : swap / MB,
    pidsLimit: positive(host.PidsLimit),
  };
}

function toEngineContainer(raw: InspectedContainer): EngineContainer {
  const labels = raw.Config.Labels ?? {};
  const containerId = labels[LABEL_CONTAINER_ID];
  if (containerId === undefined) return { engineId: raw.Id, labels, observed: null };
  const state = foldState(raw.State.Status);
  const stopped = state === 'exited' || state === 'dead';
  const finishedAt = parseTime(raw.State.FinishedAt);
  return {
    engineId: raw.Id,
    labels,
    observed: {
      containerId,
      engineId: raw.Id,
      name: raw.Name.replace(/^\//, ''),
      image: raw.Config.Image,
      hostId: labels[LABEL_HOST_ID] ?? '',
      userId: labels[LABEL_USER_ID] ?? null,
      state,
      exitCode: stopped && finishedAt !== null ? raw.State.ExitCode : null,
      oomKilled: stopped && raw.State.OOMKilled,
      startedAt: parseTime(raw.State.StartedAt),
      finishedAt,
      limits: limitsOf(raw.HostConfig),
      labels,
    },
  };
}

/** Parses the JSON array `inspect` prints; throws RuntimeError `engine_failed` on a shape it cannot read. */
export function parseInspectOutput(stdout: string, command: readonly string[]): EngineContainer[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new RuntimeError('engine printed invalid JSON for inspect', {
      code: 'engine_failed',
      command,
      cause: error,
    });
  }
  const parsed = InspectOutput.safeParse(json);
  if (!parsed.success) {
    throw new RuntimeError(`unexpected inspect output: ${parsed.error.issues[0]?.message ?? ''}`, {
      code: 'engine_failed',
      command,
      cause: parsed.error,
    });
  }
  return parsed.data.map(toEngineContainer);
}
