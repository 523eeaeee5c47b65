// When to shape a container's bandwidth: right after `run`, after every start the runtime makes,
// and after a start the engine reports that the runtime did not make (someone ran `podman start`).
// The limit comes from the spec or the io.rexec.network-mbps label; how to shape is the injected
// NetworkShaper's. A create whose shaping fails is the caller's to undo.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RuntimeError } from './errors.js';
import { containerName, LABEL_NETWORK_MBPS } from './labels.js';
import type { ValidContainerSpec } from './spec.js';
import type { NetworkShaper, RuntimeEvent, RuntimeEventStream, RuntimeKind } from './types.js';

export interface ShapingDeps {
  kind: RuntimeKind;
  /** Absent when the host cannot shape (it says so in its HELLO); limits are then only labels. */
  shaper: NetworkShaper | undefined;
  log: Logger;
  /**
   * Where podman writes pid files (in the agent's runtime directory); without one, pids come from
   * `inspect`. Never a fixed /tmp path.
   */
  pidDir?: string;
  /** The pid and labels of a container of this host; null when it is gone. */
  locate: (
    containerId: string,
  ) => Promise<{ pid: number; labels: Readonly<Record<string, string>> } | null>;
}

export interface ContainerShaping {
  /** podman writes the pid where `run --pidfile` says, saving an inspect; undefined otherwise. */
  pidFileFor(spec: ValidContainerSpec): Promise<string | undefined>;
  /** Drops what is kept for a removed container (podman rewrites its pid file on every start). */
  forget(containerId: string): Promise<void>;
  /** Shapes a container `run` just started; throws RuntimeError when it cannot. */
  afterRun(spec: ValidContainerSpec, pidFile: string | undefined): Promise<void>;
  /** Shapes a container this runtime just (re)started, from its label; throws when it cannot. */
  afterStart(containerId: string): Promise<void>;
  /**
   * Marks a `run` or `start` of this runtime (and its shaping) as under way; call the returned
   * function once both are over. The engine's `start` event of it is then not reshaped: without
   * this, every create paid an inspect and a second shaping for its own start event.
   */
  ownStart(containerId: string): () => void;
  /** The stream, with engine `start` events of containers this runtime did not start reshaped. */
  tap(stream: RuntimeEventStream): RuntimeEventStream;
}

export function mbpsFromLabels(labels: Readonly<Record<string, string>>): number | null {
  const text = labels[LABEL_NETWORK_MBPS];
  if (text === undefined || !/^[0-9]+$/.test(text)) return null;
  const mbps = Number(text);
  return mbps > 0 ? mbps : null;
}

/** Where podman keeps a container's pid; one stable path, since podman rewrites it on each start. */
export function pidFilePath(pidDir: string, containerId: string): string {
  return join(pidDir, `${containerId}.pid`);
}

export function createContainerShaping(deps: ShapingDeps): ContainerShaping {
  // The pid each container was last shaped in: a start event whose pid matches was our own start,
  // already shaped; any other pid is a new namespace without qdiscs.
  const shapedPids = new Map<string, number>();
  // One shaping at a time per container, so an event racing our own start waits for it.
  const running = new Map<string, Promise<void>>();
  // Container → until when its start events are this runtime's own (Infinity while under way).
  const ownStarts = new Map<string, number>();

  async function forget(containerId: string): Promise<void> {
    shapedPids.delete(containerId);
    if (deps.pidDir !== undefined) await rm(pidFilePath(deps.pidDir, containerId), { force: true });
  }

  function serialized(containerId: string, work: () => Promise<void>): Promise<void> {
    const previous = running.get(containerId) ?? Promise.resolve();
    // The previous shaping's failure was its caller's to handle; this one runs regardless.
    const next = previous.catch(() => undefined).then(work);
    running.set(containerId, next);
    const clear = () => {
      if (running.get(containerId) === next) running.delete(containerId);
    };
    next.then(clear, clear);
    return next;
  }

  async function shape(containerId: string, pid: number, mbps: number): Promise<void> {
    const shaper = deps.shaper;
    if (shaper === undefined) return;
    try {
      await shaper.shape(pid, mbps);
    } catch (error) {
      const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
      throw new RuntimeError(
        `could not limit ${containerName(containerId)} to ${mbps} Mbit/s: ${(error as Error).message}`,
        { code: 'engine_failed', stderr, cause: error },
      );
    }
    shapedPids.set(containerId, pid);
    deps.log.debug({ containerId, pid, mbps }, 'network shaped');
  }

  async function pidOf(containerId: string): Promise<number> {
    const located = await deps.locate(containerId);
    return located?.pid ?? 0;
  }

  async function pidFromFile(path: string): Promise<number> {
    let text: string;
    try {
      text = (await readFile(path, 'utf8')).trim();
    } catch {
      // No file means the engine did not write one; the caller falls back to inspect.
      return 0;
    }
    return /^[0-9]+$/.test(text) ? Number(text) : 0;
  }

  async function reshape(containerId: string, unlessShaped: boolean): Promise<void> {
    const located = await deps.locate(containerId);
    const mbps = located === null ? null : mbpsFromLabels(located.labels);
    if (located === null || mbps === null || located.pid === 0) return;
    if (unlessShaped && shapedPids.get(containerId) === located.pid) return;
    await shape(containerId, located.pid, mbps);
  }

  function onEngineEvent(event: RuntimeEvent): void {
    if (event.kind === 'die') {
      // Whatever starts it next is a new run: only a new ownStart() makes that one ours.
      ownStarts.delete(event.containerId);
      return;
    }
    if (event.kind === 'destroy') {
      ownStarts.delete(event.containerId);
      // Also for removals outside the agent: podman's pid file would otherwise stay behind.
      forget(event.containerId).catch((error: unknown) => {
        deps.log.warn({ err: error, containerId: event.containerId }, 'could not drop a pid file');
      });
      return;
    }
    if (event.kind !== 'start') return;
    const containerId = event.containerId;
    const ownUntil = ownStarts.get(containerId);
    // Our run/start is shaped by afterRun/afterStart; the engine stamps the event before it ends.
    if (ownUntil !== undefined && event.at.getTime() <= ownUntil) return;
    serialized(containerId, () => reshape(containerId, true)).catch((error: unknown) => {
      // Not fatal to the watch; the error names the container so the admin can stop it.
      deps.log.error(
        { err: error, containerId },
        'a container started outside the agent could not be shaped; it runs without its bandwidth limit',
      );
    });
  }

  return {
    async pidFileFor(spec) {
      const { pidDir } = deps;
      if (
        deps.kind !== 'podman' ||
        deps.shaper === undefined ||
        spec.networkMbps === undefined ||
        pidDir === undefined
      ) {
        return undefined;
      }
      await mkdir(pidDir, { recursive: true, mode: 0o700 });
      return pidFilePath(pidDir, spec.containerId);
    },
    forget,
    async afterRun(spec, pidFile) {
      const mbps = spec.networkMbps;
      if (deps.shaper === undefined || mbps === undefined) return;
      await serialized(spec.containerId, async () => {
        let pid = pidFile === undefined ? 0 : await pidFromFile(pidFile);
        if (pid === 0) pid = await pidOf(spec.containerId);
        await shape(spec.containerId, pid, mbps);
      });
    },
    async afterStart(containerId) {
      if (deps.shaper === undefined) return;
      await serialized(containerId, () => reshape(containerId, false));
    },
    ownStart(containerId) {
      ownStarts.set(containerId, Number.POSITIVE_INFINITY);
      return () => {
        if (ownStarts.get(containerId) === Number.POSITIVE_INFINITY) {
          ownStarts.set(containerId, Date.now());
        }
      };
    },
    tap(stream) {
      if (deps.shaper === undefined) return stream;
      return {
        async *[Symbol.asyncIterator]() {
          for await (const event of stream) {
            onEngineEvent(event);
            yield event;
          }
        },
        stop: () => stream.stop(),
      };
    },
  };
}
