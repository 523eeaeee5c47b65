// Measured disk enforcement (DESIGN §6, issue 7): every interval, each running container of this
// host with an `io.rexec.disk-mb` label has its writable layer plus home volume measured, one
// container after another, and one over its limit is reported with `disk_quota_exceeded` (the event
// first), then stopped and reported again. Keeps the last measurement per container for heartbeats.
// Finding directories is the runtime's `locate`; reporting engine events is status-reports.ts's.
import type {
  AgentMessage,
  ContainerUsage,
  ObservedContainer as WireContainer,
} from '@rexec/protocol';
import type { Logger } from 'pino';
import { isWireContainerId, toWireContainer } from '../inventory.js';
import type { ContainerPlacement, ContainerRuntime, ObservedContainer } from '../runtime/index.js';
import { diskLimitOf } from './disk-limit.js';
import { measureDirectories } from './du.js';
import { createQuotaStops } from './quota-stops.js';
import type { QuotaStops } from './quota-stops.js';

/** Bytes a container takes on the host disk, given where it lives. */
export type DiskMeasure = (placement: ContainerPlacement) => Promise<number>;

export interface DiskMonitorOptions {
  runtime: ContainerRuntime;
  log: Logger;
  send: (message: AgentMessage) => void;
  /** Time between the starts of two checks; DEFAULT_DISK_CHECK_INTERVAL_MS when omitted. */
  intervalMs?: number;
  /** How a container is measured; du over its writable layer and home volume when omitted. */
  measure?: DiskMeasure;
  /** Shared with the status reporter so the engine's `die` keeps the quota reason. */
  quotaStops?: QuotaStops;
  /** SIGTERM grace before SIGKILL when stopping an offender. */
  stopTimeoutSeconds?: number;
  /**
   * Runs a quota stop in the container's command queue (CommandExecutor.exclusive), so it never
   * interleaves with a start or stop the control plane is waiting for; run directly when omitted.
   */
  exclusive?: <T>(containerId: string, work: () => Promise<T>) => Promise<T>;
}

export interface DiskMonitor {
  /** Checks at once, then every interval. */
  start(): void;
  /** Stops the timer and waits for the check in flight. */
  stop(): Promise<void>;
  /** Runs a check now, or joins the one in flight (never two at once). */
  checkNow(): Promise<void>;
  /** The last measurement of every container still on the host. */
  usage(): ContainerUsage[];
  readonly quotaStops: QuotaStops;
}

export const DEFAULT_DISK_CHECK_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 100;
const DEFAULT_STOP_TIMEOUT_SECONDS = 3;
// du on a big home volume may outlast one interval; the run simply delays the next check.
const MEASURE_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

/** du over the container's writable layer and home volume (whichever the driver has). */
export function measureWithDu(placement: ContainerPlacement): Promise<number> {
  const dirs = [placement.writableDir, placement.homeVolumeDir].filter(
    (dir): dir is string => dir !== null,
  );
  return measureDirectories(dirs, { timeoutMs: MEASURE_TIMEOUT_MS });
}

export function createDiskMonitor(options: DiskMonitorOptions): DiskMonitor {
  const { runtime, log, send } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_DISK_CHECK_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new RangeError(`disk check interval must be an integer ≥ ${MIN_INTERVAL_MS} ms`);
  }
  const measure = options.measure ?? measureWithDu;
  const quotaStops = options.quotaStops ?? createQuotaStops();
  const stopTimeoutSeconds = options.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS;
  const exclusive =
    options.exclusive ?? (<T>(_containerId: string, work: () => Promise<T>) => work());
  const usedMb = new Map<string, number>();
  // An engine container's directories never move, so `locate` (an engine call costing about as
  // much CPU as the du itself) runs once per engine id, not once per check.
  const placements = new Map<string, { engineId: string; placement: ContainerPlacement }>();
  const badLabels = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let stopping = false;

  function status(container: WireContainer, detail: string): AgentMessage {
    return {
      type: 'AGENT_CONTAINER_STATUS',
      container,
      reason: 'disk_quota_exceeded',
      detail,
      at: new Date().toISOString(),
    };
  }

  async function enforce(containerId: string, used: number, limitMb: number): Promise<void> {
    // Measuring took a while: the container may have stopped meanwhile and then needs nothing.
    const current = await runtime.inspect(containerId);
    if (current === null || current.state !== 'running') return;
    const detail = `used ${used} MB of ${limitMb} MB`;
    log.warn({ containerId, usedMb: used, limitMb }, 'disk quota exceeded; stopping the container');
    send(status(toWireContainer(current), detail));
    quotaStops.mark(containerId, detail);
    let stopped: ObservedContainer;
    try {
      stopped = await runtime.stop(containerId, stopTimeoutSeconds);
    } catch (error) {
      // Still running and still over: the next check tries again.
      quotaStops.clear(containerId);
      throw error;
    }
    send(status(toWireContainer(stopped), detail));
  }

  async function checkContainer(observed: ObservedContainer, limitMb: number): Promise<void> {
    const { containerId } = observed;
    const placement = await placementOf(observed);
    if (placement === null) {
      usedMb.delete(containerId);
      log.debug({ containerId }, 'container vanished before its disk was measured');
      return;
    }
    let bytes: number;
    try {
      bytes = await measure(placement);
    } catch (error) {
      // Perhaps removed and recreated under the same id: locate afresh next time.
      placements.delete(containerId);
      throw error;
    }
    const used = Math.ceil(bytes / MIB);
    usedMb.set(containerId, used);
    if (used > limitMb) await exclusive(containerId, () => enforce(containerId, used, limitMb));
  }

  async function placementOf(observed: ObservedContainer): Promise<ContainerPlacement | null> {
    const known = placements.get(observed.containerId);
    if (known?.engineId === observed.engineId) return known.placement;
    const placement = await runtime.locate(observed.containerId);
    if (placement === null) placements.delete(observed.containerId);
    else placements.set(observed.containerId, { engineId: observed.engineId, placement });
    return placement;
  }

  function limitFor(observed: ObservedContainer): number | null {
    const limit = diskLimitOf(observed.labels);
    if (limit.kind === 'limit') return limit.diskMb;
    if (limit.kind === 'invalid' && !badLabels.has(observed.containerId)) {
      badLabels.add(observed.containerId);
      log.warn(
        { containerId: observed.containerId, value: limit.value },
        'io.rexec.disk-mb is not a positive integer; the container is not disk-limited',
      );
    }
    return null;
  }

  async function check(): Promise<void> {
    const containers = await runtime.list();
    const present = new Set(containers.map((observed) => observed.containerId));
    for (const id of usedMb.keys()) if (!present.has(id)) usedMb.delete(id);
    for (const id of placements.keys()) if (!present.has(id)) placements.delete(id);
    for (const observed of containers) {
      // A stop() during the run ends it at the next container rather than after all of them.
      if (stopping) return;
      if (observed.state !== 'running' || !isWireContainerId(observed.containerId)) continue;
      const limitMb = limitFor(observed);
      if (limitMb === null) continue;
      try {
        await checkContainer(observed, limitMb);
      } catch (error) {
        // One container that vanished or could not be measured must not starve the others; the
        // next check measures it again.
        log.warn({ err: error, containerId: observed.containerId }, 'disk check failed');
      }
    }
  }

  function checkNow(): Promise<void> {
    inFlight ??= check()
      .catch((error: unknown) => {
        // Listing failed (engine restarting?): nothing was measured, the next interval retries.
        log.warn({ err: error }, 'could not list containers for the disk check');
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  return {
    start() {
      if (timer !== null) return;
      stopping = false;
      // At once too: after an agent restart an offender must not wait a whole interval.
      void checkNow();
      timer = setInterval(() => {
        if (inFlight !== null) {
          log.debug('previous disk check still running; skipping this one');
          return;
        }
        void checkNow();
      }, intervalMs);
    },
    async stop() {
      stopping = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      await inFlight;
    },
    checkNow,
    usage() {
      return [...usedMb].map(([containerId, diskMb]) => ({
        container_id: containerId,
        disk_mb: diskMb,
      }));
    },
    quotaStops,
  };
}
