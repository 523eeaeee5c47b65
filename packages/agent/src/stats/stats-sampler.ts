// Samples CPU, memory, pids and network of this host's running containers with ONE engine call
// per pass (`stats --no-stream`), at most every intervalMs, and keeps the latest sample per
// container for heartbeats. Which containers are this host's comes from the caller (the disk
// monitor's last listing): the engine's stats carry no labels. When that call fails, this host's
// containers are read by name, in halves (stats-reader.ts), so one unreadable container costs only
// its own sample, and one the engine says it no longer has drops out; a pass that reads nothing is
// logged and the last samples of the containers it could not read stand. Parsing is
// stats-parser.ts's; merging with disk usage is usage-merge.ts's.
import { HOST_AMOUNT_BOUNDS } from '@rexec/protocol';
import type { ContainerUsage } from '@rexec/protocol';
import type { Logger } from 'pino';
import { containerName } from '../runtime/labels.js';
import type { EngineStatsSample } from './stats-parser.js';
import { readInHalves, type StatsRead } from './stats-reader.js';

export const DEFAULT_STATS_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 100;
const MIB = 1024 * 1024;
/** CPU is sent in steps of 1 % of a core, so noise does not put every container in every beat. */
const CPU_STEP_MILLICORES = 10;
/** Engine calls a pass may add, reading by name, after the whole-host call failed. */
const MAX_CALLS_IN_HALVES = 24;

export interface StatsSamplerOptions {
  /** One engine call reading every running container's figures (or the named ones'). */
  read: StatsRead;
  /** This host's running containers (ids), or null before they are known. */
  ownContainers: () => ReadonlySet<string> | null;
  log: Logger;
  /** Time between the starts of two passes; DEFAULT_STATS_INTERVAL_MS when omitted. */
  intervalMs?: number;
}

export interface StatsSampler {
  /** Samples at once, then every interval. */
  start(): void;
  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void>;
  /** Runs a pass now (joins the one under way); never rejects. */
  sampleNow(): Promise<void>;
  /** The latest sample of every container seen running by the last successful pass. */
  usage(): ContainerUsage[];
}

interface CpuReading {
  cpuNanos: number;
  readAtNanos: number;
}

/** CPU in millicores over the time between two podman readings, or the engine's own figure. */
function cpuMillicores(sample: EngineStatsSample, before: CpuReading | undefined): number | null {
  let percent = sample.cpuPercent;
  if (before !== undefined && sample.cpuNanos !== null && sample.readAtNanos !== null) {
    const elapsed = sample.readAtNanos - before.readAtNanos;
    const used = sample.cpuNanos - before.cpuNanos;
    // A restarted container's counter starts again from 0: then the engine's figure stands.
    if (elapsed > 0 && used >= 0) percent = (used / elapsed) * 100;
  }
  if (percent === null) return null;
  const millicores = Math.round((percent * 10) / CPU_STEP_MILLICORES) * CPU_STEP_MILLICORES;
  return Math.min(millicores, HOST_AMOUNT_BOUNDS.cpu_millicores);
}

function toUsage(containerId: string, sample: EngineStatsSample, cpu: number | null) {
  const usage: ContainerUsage = { container_id: containerId };
  if (cpu !== null) usage.cpu_millicores = cpu;
  if (sample.memoryBytes !== null) {
    usage.memory_bytes = sample.memoryBytes;
    usage.memory_mb = Math.min(Math.ceil(sample.memoryBytes / MIB), HOST_AMOUNT_BOUNDS.memory_mb);
  }
  if (sample.memoryLimitBytes !== null) usage.memory_limit_bytes = sample.memoryLimitBytes;
  if (sample.pids !== null) usage.pids = sample.pids;
  if (sample.netRxBytes !== null) usage.network_rx_bytes = sample.netRxBytes;
  if (sample.netTxBytes !== null) usage.network_tx_bytes = sample.netTxBytes;
  return usage;
}

export function createStatsSampler(options: StatsSamplerOptions): StatsSampler {
  const { read, ownContainers, log } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_STATS_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new RangeError(`stats interval must be an integer ≥ ${MIN_INTERVAL_MS} ms`);
  }
  let latest = new Map<string, ContainerUsage>();
  let readings = new Map<string, CpuReading>();
  let timer: NodeJS.Timeout | null = null;
  let pass: Promise<void> | null = null;

  function record(samples: readonly EngineStatsSample[]): void {
    const own = ownContainers();
    if (own === null) return;
    const byName = new Map(samples.map((sample) => [sample.name, sample]));
    const nextLatest = new Map<string, ContainerUsage>();
    const nextReadings = new Map<string, CpuReading>();
    for (const containerId of own) {
      const sample = byName.get(containerName(containerId));
      // Not running any more (or not yet): it simply has no sample this time.
      if (sample === undefined) continue;
      const cpu = cpuMillicores(sample, readings.get(containerId));
      if (sample.cpuNanos !== null && sample.readAtNanos !== null) {
        nextReadings.set(containerId, {
          cpuNanos: sample.cpuNanos,
          readAtNanos: sample.readAtNanos,
        });
      }
      nextLatest.set(containerId, toUsage(containerId, sample, cpu));
    }
    latest = nextLatest;
    readings = nextReadings;
  }

  /**
   * After the whole-host call failed: this host's containers by name, in halves. null when nothing
   * could be read (engine restarting, or none of ours readable): then the last samples stand, but
   * only for containers that are still this host's and that the engine did not say are gone.
   */
  async function readOwnInHalves(failure: unknown): Promise<EngineStatsSample[] | null> {
    const names = [...(ownContainers() ?? [])].map(containerName);
    const { samples, gone, unread, error } = await readInHalves(read, names, MAX_CALLS_IN_HALVES);
    if (samples.length === 0 && unread.length > 0) {
      log.warn({ err: error ?? failure }, 'could not sample container stats');
      keepOnly(new Set(unread));
      return null;
    }
    if (unread.length > 0) {
      log.warn(
        { err: error, whole_host_error: String(failure), unread },
        'stats of some containers could not be read',
      );
    } else {
      log.info(
        { whole_host_error: String(failure), gone },
        'container stats read by name after the whole-host call failed',
      );
    }
    return samples;
  }

  /** Drops the last samples of every container but these engine names. */
  function keepOnly(names: ReadonlySet<string>): void {
    for (const containerId of latest.keys()) {
      if (!names.has(containerName(containerId))) latest.delete(containerId);
    }
  }

  function sampleNow(): Promise<void> {
    pass ??= read()
      .catch(readOwnInHalves)
      .then((samples) => {
        if (samples !== null) record(samples);
      })
      .catch((error: unknown) => log.warn({ err: error }, 'could not sample container stats'))
      .finally(() => {
        pass = null;
      });
    return pass;
  }

  return {
    start() {
      if (timer !== null) return;
      void sampleNow();
      timer = setInterval(() => void sampleNow(), intervalMs);
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await pass;
    },
    sampleNow,
    usage: () => [...latest.values()],
  };
}
