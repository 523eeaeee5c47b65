// Reports changes the agent sees on its own (PROTOCOL.md §7 "Status reports"): the runtime's event
// stream, already limited to this host's id, becomes AGENT_CONTAINER_STATUS at once on die
// (`exited`/`oom_killed`), oom (`oom_killed`, once per run) and destroy (`removed`). Reconciling
// these with desired state is the control plane's job; a report with no live socket is dropped and
// the next HELLO inventory carries the same truth. A `die` of a container the disk monitor is
// stopping keeps its reason, `disk_quota_exceeded` or `disk_unmeasurable` (disk/quota-stops.ts).
import type { AgentMessage, ObservedContainer as WireContainer } from '@rexec/protocol';
import type { Logger } from 'pino';
import type { QuotaStops } from './disk/quota-stops.js';
import { isWireContainerId, missingContainer, toWireContainer } from './inventory.js';
import type { ContainerRuntime, RuntimeEvent, RuntimeEventStream } from './runtime/index.js';

export interface StatusReporterOptions {
  runtime: ContainerRuntime;
  log: Logger;
  send: (message: AgentMessage) => void;
  /** The disk monitor's marks; without them every `die` is `exited` or `oom_killed`. */
  quotaStops?: Pick<QuotaStops, 'take' | 'clear'>;
}

export interface StatusReporter {
  start(): void;
  stop(): Promise<void>;
}

export function createStatusReporter(options: StatusReporterOptions): StatusReporter {
  const { runtime, log, send } = options;
  let stream: RuntimeEventStream | null = null;
  let loop: Promise<void> = Promise.resolve();
  // Engine ids whose current run was already reported as oom_killed, so its `die` is not twice.
  const oomReported = new Set<string>();

  async function observe(event: RuntimeEvent): Promise<WireContainer | null> {
    const observed = await runtime.inspect(event.containerId);
    return observed === null ? null : toWireContainer(observed);
  }

  function report(
    container: WireContainer,
    reason: string,
    event: RuntimeEvent,
    detail = event.exitCode === null ? undefined : `exit code ${event.exitCode}`,
  ): void {
    log.info({ containerId: container.container_id, reason, state: container.state }, 'status');
    send({
      type: 'AGENT_CONTAINER_STATUS',
      container,
      reason,
      at: event.at.toISOString(),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  async function onEvent(event: RuntimeEvent): Promise<void> {
    if (!isWireContainerId(event.containerId)) return;
    switch (event.kind) {
      case 'oom': {
        const container = await observe(event);
        // An OOM kill of a child process leaves the container running: nothing changed for it.
        if (container === null || container.state === 'running') return;
        oomReported.add(event.engineId);
        report({ ...container, oom_killed: true }, 'oom_killed', event);
        return;
      }
      case 'die': {
        if (oomReported.delete(event.engineId)) return;
        const container = (await observe(event)) ?? missingContainer(event.containerId);
        const oomKilled = event.oomKilled || container.oom_killed;
        const quota = options.quotaStops?.take(event.containerId) ?? null;
        if (quota !== null && !oomKilled) {
          report(container, quota.reason, event, quota.detail);
          return;
        }
        report({ ...container, oom_killed: oomKilled }, oomKilled ? 'oom_killed' : 'exited', event);
        return;
      }
      case 'destroy':
        oomReported.delete(event.engineId);
        report(missingContainer(event.containerId), 'removed', event);
        return;
      case 'start':
        oomReported.delete(event.engineId);
        options.quotaStops?.clear(event.containerId);
        return;
      case 'create':
      case 'stop':
      case 'pause':
      case 'unpause':
        return;
    }
  }

  async function run(events: RuntimeEventStream): Promise<void> {
    for await (const event of events) {
      try {
        await onEvent(event);
      } catch (error) {
        // One event we could not inspect must not end the watch; HELLO re-syncs on reconnect.
        log.warn({ err: error, event }, 'could not report a container event');
      }
    }
  }

  return {
    start() {
      if (stream !== null) return;
      const events = runtime.watchEvents({
        onRestart: (reason) =>
          log.warn({ err: reason }, 'engine event stream restarted; replaying the gap'),
      });
      stream = events;
      loop = run(events).catch((error: unknown) => {
        log.error({ err: error }, 'the engine event stream failed; status reports stopped');
      });
    },
    async stop() {
      const events = stream;
      stream = null;
      if (events === null) return;
      await events.stop();
      await loop;
    },
  };
}
