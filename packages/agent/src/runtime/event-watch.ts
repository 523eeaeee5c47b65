// Turns the engine's event stream (and, where the engine misses OOM kills, the kernel log) into
// RuntimeEvents for this host's containers, in order, without duplicates across stream restarts.
// Which engine process to run and how lines parse live in event-parser.ts and kernel-oom.ts; what
// to do about an event is the agent's job.
import type { Logger } from 'pino';
import { createAsyncQueue } from './async-queue.js';
import type { EngineEvent } from './event-parser.js';
import { eventsArgs, parseEventLine } from './event-parser.js';
import { KERNEL_LOG_BINARY, kernelLogArgs, parseKernelOomLine } from './kernel-oom.js';
import { LABEL_CONTAINER_ID, LABEL_HOST_ID } from './labels.js';
import { startLineProcess } from './line-process.js';
import type { LineProcess } from './line-process.js';
import type { OomMemory } from './oom-memory.js';
import type { RuntimeEvent, RuntimeEventStream, RuntimeKind, WatchEventsOptions } from './types.js';

/** How long a `die` by SIGKILL waits for the kernel log to say whether it was an OOM kill. */
export const OOM_GRACE_MS = 750;
const SIGKILL_EXIT = 137;
const RECENT_KEYS = 512;

export interface EventWatchDeps {
  kind: RuntimeKind;
  binary: string;
  hostId: string;
  log: Logger;
  oomMemory: OomMemory;
  kernelOomWatch: boolean;
  /** The Rexec container id of an engine id on this host, or null if it is not ours. */
  resolveContainerId: (engineId: string) => Promise<string | null>;
}

export function watchRuntimeEvents(
  deps: EventWatchDeps,
  options: WatchEventsOptions = {},
): RuntimeEventStream {
  const queue = createAsyncQueue<RuntimeEvent>();
  const index = new Map<string, string>();
  const oomReported = new Set<string>();
  const recentKeys = new Set<string>();
  let kernelActive = deps.kernelOomWatch;
  let lastEventAt = new Date();
  let chain: Promise<void> = Promise.resolve();

  function enqueue(work: () => Promise<void> | void): void {
    chain = chain.then(work).catch((error: unknown) => {
      // The chain must keep running for later events; the failed one is logged, not lost silently.
      deps.log.error({ err: error }, 'handling a container event failed');
    });
  }

  function emitOom(engineId: string, containerId: string, at: Date): void {
    if (oomReported.has(engineId)) return;
    oomReported.add(engineId);
    queue.push({ kind: 'oom', containerId, engineId, exitCode: null, oomKilled: true, at });
  }

  async function handle(event: EngineEvent, containerId: string): Promise<void> {
    const { engineId } = event;
    switch (event.kind) {
      case 'start':
        deps.oomMemory.clear(engineId);
        oomReported.delete(engineId);
        break;
      case 'oom':
        deps.oomMemory.mark(engineId, event.at);
        emitOom(engineId, containerId, event.at);
        return;
      case 'die': {
        let oomAt = deps.oomMemory.get(engineId);
        if (oomAt === undefined && kernelActive && event.exitCode === SIGKILL_EXIT) {
          await deps.oomMemory.waitFor(engineId, OOM_GRACE_MS);
          oomAt = deps.oomMemory.get(engineId);
        }
        if (oomAt !== undefined) emitOom(engineId, containerId, oomAt);
        queue.push({ ...baseEvent(event, containerId), oomKilled: oomAt !== undefined });
        return;
      }
      case 'destroy':
        index.delete(engineId);
        oomReported.delete(engineId);
        deps.oomMemory.clear(engineId);
        break;
      case 'create':
      case 'stop':
      case 'pause':
      case 'unpause':
        break;
    }
    queue.push(baseEvent(event, containerId));
  }

  function onEngineLine(line: string): void {
    const parsed = parseEventLine(line);
    if (!parsed.ok) {
      deps.log.warn(
        { detail: parsed.error },
        'ignoring an engine event line that could not be read',
      );
      return;
    }
    const event = parsed.event;
    if (event === null) return;
    const containerId = event.labels[LABEL_CONTAINER_ID];
    if (containerId === undefined || event.labels[LABEL_HOST_ID] !== deps.hostId) return;
    // A restarted stream replays from a whole second back; drop what was already delivered.
    const key = `${event.engineId}:${event.kind}:${event.at.getTime()}`;
    if (recentKeys.has(key)) return;
    recentKeys.add(key);
    if (recentKeys.size > RECENT_KEYS) {
      const oldest = recentKeys.values().next().value;
      if (oldest !== undefined) recentKeys.delete(oldest);
    }
    if (event.at > lastEventAt) lastEventAt = event.at;
    if (event.kind !== 'destroy') index.set(event.engineId, containerId);
    enqueue(() => handle(event, containerId));
  }

  function onKernelLine(line: string): void {
    const engineId = parseKernelOomLine(line);
    if (engineId === null) return;
    const at = new Date();
    deps.oomMemory.mark(engineId, at);
    enqueue(async () => {
      const containerId = index.get(engineId) ?? (await deps.resolveContainerId(engineId));
      if (containerId !== null) emitOom(engineId, containerId, at);
    });
  }

  const engineStream = startLineProcess({
    binary: deps.binary,
    args: (restart) =>
      eventsArgs(deps.kind, `${LABEL_HOST_ID}=${deps.hostId}`, restart ? lastEventAt : undefined),
    onLine: onEngineLine,
    ...(options.onRestart === undefined ? {} : { onRestart: options.onRestart }),
    log: deps.log,
  });

  let kernelStream: LineProcess | undefined;
  if (deps.kernelOomWatch) {
    kernelStream = startLineProcess({
      binary: KERNEL_LOG_BINARY,
      args: () => kernelLogArgs(),
      onLine: onKernelLine,
      maxQuickFailures: 3,
      onGiveUp: (reason) => {
        kernelActive = false;
        deps.log.warn(
          { err: reason },
          'cannot follow the kernel log; OOM kills are reported only when the engine reports them',
        );
      },
      log: deps.log,
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    stop() {
      stopping ??= (async () => {
        await Promise.all([engineStream.stop(), kernelStream?.stop()]);
        await chain;
        queue.end();
      })();
      return stopping;
    },
  };
}

function baseEvent(event: EngineEvent, containerId: string): RuntimeEvent {
  return {
    kind: event.kind,
    containerId,
    engineId: event.engineId,
    exitCode: event.exitCode,
    oomKilled: false,
    at: event.at,
  };
}
