// Measured disk enforcement (DESIGN §6, issues 7 and 16): every interval, each running container
// of this host with an `io.rexec.disk-mb` label has its writable layer, home volume and any other
// volume measured, a few containers at once (a slow one holds up only itself: a container whose
// measurement is still running is skipped, not waited for). One over its limit is reported with
// `disk_quota_exceeded` (the event first, once however often the stop must be retried), then
// stopped and reported again; one whose measurement fails or times out `unmeasurableAfter` times in
// a row is stopped the same way with `disk_unmeasurable` (a tree too big to walk must not be a way
// around the limit). Keeps the last measurement per container for heartbeats. Finding directories
// is the runtime's `locate`; reporting engine events is status-reports.ts's.
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
import pLimit from 'p-limit';
import { createQuotaStops } from './quota-stops.js';
import type { DiskStopReason, QuotaStops } from './quota-stops.js';

export interface MeasureOptions {
  /** The measurement fails (and its process is killed) after this long. */
  timeoutMs: number;
}

/** Bytes a container takes on the host disk, given where it lives. */
export type DiskMeasure = (
  placement: ContainerPlacement,
  options: MeasureOptions,
) => Promise<number>;

export interface DiskMonitorOptions {
  runtime: ContainerRuntime;
  log: Logger;
  send: (message: AgentMessage) => void;
  /** Time between the starts of two checks; DEFAULT_DISK_CHECK_INTERVAL_MS when omitted. */
  intervalMs?: number;
  /** How a container is measured; du over its writable layer and volumes when omitted. */
  measure?: DiskMeasure;
  /** Per measurement; DEFAULT_MEASURE_TIMEOUT_MS when omitted. */
  measureTimeoutMs?: number;
  /** Failed measurements in a row that stop a container (`disk_unmeasurable`); default 3. */
  unmeasurableAfter?: number;
  /** Containers measured at once; default 2 (du is mostly I/O, hosts have few cores). */
  concurrency?: number;
  /** Shared with the status reporter so the engine's `die` keeps the quota reason. */
  quotaStops?: QuotaStops;
  /** SIGTERM grace before SIGKILL when stopping an offender. */
  stopTimeoutSeconds?: number;
  /**
   * Runs a quota stop in the container's command queue (CommandExecutor.exclusive), so it never
   * interleaves with a start or stop the control plane is waiting for; run directly when omitted.
   */
  exclusive?: <T>(containerId: string, work: () => Promise<T>) => Promise<T>;
  /** Each check's outcome and time, from listing until its measurements end (metrics). */
  checks?: DiskCheckRecorder;
}

/** `ok` once a check's measurements ended; `list_failed` when the engine could not list. */
export interface DiskCheckRecorder {
  check(outcome: 'ok' | 'list_failed', seconds: number): void;
}

export interface DiskMonitor {
  /** Checks at once, then every interval. */
  start(): void;
  /** Stops the timer and waits for the check in flight. */
  stop(): Promise<void>;
  /**
   * Measures now every container not already being measured, resolving when those are done
   * (never two measurements of one container at once).
   */
  checkNow(): Promise<void>;
  /** The last measurement of every container still on the host. */
  usage(): ContainerUsage[];
  /** This host's running containers at the last listing; null before the first one. */
  running(): ReadonlySet<string> | null;
  readonly quotaStops: QuotaStops;
}

export const DEFAULT_DISK_CHECK_INTERVAL_MS = 10_000;
/** du over a 20k-file home takes well under a second; a minute is a tree built to be unwalkable. */
export const DEFAULT_MEASURE_TIMEOUT_MS = 60_000;
export const DEFAULT_UNMEASURABLE_AFTER = 3;
const DEFAULT_CONCURRENCY = 2;
const MIN_INTERVAL_MS = 100;
const DEFAULT_STOP_TIMEOUT_SECONDS = 3;
const MIB = 1024 * 1024;

/** du over the container's writable layer, home volume and other volumes (whichever it has). */
export function measureWithDu(
  placement: ContainerPlacement,
  options: MeasureOptions,
): Promise<number> {
  const dirs = [placement.writableDir, placement.homeVolumeDir, ...placement.volumeDirs].filter(
    (dir): dir is string => dir !== null,
  );
  return measureDirectories(dirs, { timeoutMs: options.timeoutMs });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer ≥ 1`);
  return value;
}

export function createDiskMonitor(options: DiskMonitorOptions): DiskMonitor {
  const { runtime, log, send } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_DISK_CHECK_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new RangeError(`disk check interval must be an integer ≥ ${MIN_INTERVAL_MS} ms`);
  }
  const measure = options.measure ?? measureWithDu;
  const measureTimeoutMs = positiveInteger(
    'measure timeout',
    options.measureTimeoutMs ?? DEFAULT_MEASURE_TIMEOUT_MS,
  );
  const unmeasurableAfter = positiveInteger(
    'unmeasurable after',
    options.unmeasurableAfter ?? DEFAULT_UNMEASURABLE_AFTER,
  );
  const limit = pLimit(positiveInteger('concurrency', options.concurrency ?? DEFAULT_CONCURRENCY));
  const quotaStops = options.quotaStops ?? createQuotaStops();
  const stopTimeoutSeconds = options.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS;
  const exclusive =
    options.exclusive ?? (<T>(_containerId: string, work: () => Promise<T>) => work());
  const usedMb = new Map<string, number>();
  // An engine container's directories never move, so `locate` (an engine call costing about as
  // much CPU as the du itself) runs once per engine id, not once per check.
  const placements = new Map<string, { engineId: string; placement: ContainerPlacement }>();
  const badLabels = new Set<string>();
  // Measurements that failed in a row, per container; a success forgets the count.
  const failures = new Map<string, number>();
  // The warning already sent per container while it runs over its limit: a stop the engine keeps
  // refusing is retried every pass, but users get one event for it, not one per pass.
  const warned = new Map<string, DiskStopReason>();
  // The measurement of each container under way: a new round skips these instead of waiting.
  const measuring = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let listing: Promise<Promise<void>[]> | null = null;
  let stopping = false;
  let running: ReadonlySet<string> | null = null;

  function status(container: WireContainer, reason: DiskStopReason, detail: string): AgentMessage {
    return {
      type: 'AGENT_CONTAINER_STATUS',
      container,
      reason,
      detail,
      at: new Date().toISOString(),
    };
  }

  async function enforce(
    containerId: string,
    reason: DiskStopReason,
    detail: string,
  ): Promise<void> {
    // Measuring took a while: the container may have stopped meanwhile and then needs nothing.
    const current = await runtime.inspect(containerId);
    if (current === null || current.state !== 'running') {
      warned.delete(containerId);
      return;
    }
    log.warn({ containerId, reason, detail }, 'disk limit not kept; stopping the container');
    if (warned.get(containerId) !== reason) {
      send(status(toWireContainer(current), reason, detail));
      warned.set(containerId, reason);
    }
    quotaStops.mark(containerId, detail, reason);
    let stopped: ObservedContainer;
    try {
      stopped = await runtime.stop(containerId, stopTimeoutSeconds);
    } catch (error) {
      // Still running and still over: the next check tries again.
      quotaStops.clear(containerId);
      throw error;
    }
    warned.delete(containerId);
    send(status(toWireContainer(stopped), reason, detail));
  }

  async function measureFailed(containerId: string, error: unknown): Promise<void> {
    const count = (failures.get(containerId) ?? 0) + 1;
    failures.set(containerId, count);
    log.warn({ err: error, containerId, failures: count }, 'disk check failed');
    if (count < unmeasurableAfter) return;
    const why = error instanceof Error ? error.message : String(error);
    const detail = `disk usage could not be measured ${count} times in a row: ${why}`.slice(0, 500);
    await exclusive(containerId, () => enforce(containerId, 'disk_unmeasurable', detail));
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
      bytes = await measure(placement, { timeoutMs: measureTimeoutMs });
    } catch (error) {
      // Perhaps removed and recreated under the same id: locate afresh next time.
      placements.delete(containerId);
      await measureFailed(containerId, error);
      return;
    }
    failures.delete(containerId);
    const used = Math.ceil(bytes / MIB);
    usedMb.set(containerId, used);
    if (used > limitMb) {
      const detail = `used ${used} MB of ${limitMb} MB`;
      await exclusive(containerId, () => enforce(containerId, 'disk_quota_exceeded', detail));
    } else {
      warned.delete(containerId);
    }
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

  function forgetAbsent(containers: readonly ObservedContainer[]): void {
    const present = new Set(containers.map((observed) => observed.containerId));
    for (const map of [usedMb, placements, failures, warned]) {
      for (const id of map.keys()) if (!present.has(id)) map.delete(id);
    }
  }

  /** Queues the container's measurement (at most `concurrency` run at once) and remembers it. */
  function startMeasuring(observed: ObservedContainer, limitMb: number): Promise<void> {
    const { containerId } = observed;
    const run = limit(async () => {
      // A stop() while this waited for its turn: nothing more is measured.
      if (stopping) return;
      await checkContainer(observed, limitMb);
    })
      .catch((error: unknown) => {
        // Locating failed (engine restarting?) or the stop failed: the next round tries again.
        log.warn({ err: error, containerId }, 'disk check failed');
      })
      .finally(() => measuring.delete(containerId));
    measuring.set(containerId, run);
    return run;
  }

  /** Lists and starts the due measurements; resolves with them once they are started. */
  async function startRound(): Promise<Promise<void>[]> {
    const containers = await runtime.list();
    forgetAbsent(containers);
    running = new Set(
      containers
        .filter((observed) => observed.state === 'running')
        .map((observed) => observed.containerId)
        .filter(isWireContainerId),
    );
    const started: Promise<void>[] = [];
    for (const observed of containers) {
      if (stopping) break;
      if (observed.state !== 'running') warned.delete(observed.containerId);
      if (observed.state !== 'running' || !isWireContainerId(observed.containerId)) continue;
      if (measuring.has(observed.containerId)) continue;
      const limitMb = limitFor(observed);
      if (limitMb !== null) started.push(startMeasuring(observed, limitMb));
    }
    return started;
  }

  /** startRound, timed for `options.checks` until the measurements it started have ended. */
  async function timedRound(): Promise<Promise<void>[]> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const round = await startRound();
      // Each measurement catches its own failure, so this only ever resolves.
      void Promise.all(round).then(() => options.checks?.check('ok', seconds()));
      return round;
    } catch (error) {
      options.checks?.check('list_failed', seconds());
      throw error;
    }
  }

  async function checkNow(): Promise<void> {
    // Listing twice at once would start nothing new: join the listing under way.
    listing ??= timedRound()
      .catch((error: unknown) => {
        // Listing failed (engine restarting?): nothing was measured, the next interval retries.
        log.warn({ err: error }, 'could not list containers for the disk check');
        return [];
      })
      .finally(() => {
        listing = null;
      });
    await Promise.all(await listing);
  }

  return {
    start() {
      if (timer !== null) return;
      stopping = false;
      // At once too: after an agent restart an offender must not wait a whole interval.
      void checkNow();
      timer = setInterval(() => {
        // Containers still being measured are skipped by the round itself; the others are due.
        void checkNow();
      }, intervalMs);
    },
    async stop() {
      stopping = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      // The round being listed starts nothing more (stopping), and what it started is in `measuring`.
      await Promise.all((await listing) ?? []);
      await Promise.all(measuring.values());
    },
    checkNow,
    usage() {
      return [...usedMb].map(([containerId, diskMb]) => ({
        container_id: containerId,
        disk_mb: diskMb,
      }));
    },
    running: () => running,
    quotaStops,
  };
}
