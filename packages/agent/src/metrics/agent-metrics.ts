// Every metric the agent exposes, registered on the Registry main.ts makes (no global default
// registry): engine call latency by verb, containers by state as of the engine's last listing,
// disk checks and their time, shaping failures, and the process's own (RSS, event loop lag). The
// wrappers below feed them without the runtime or the shaper importing prom-client.
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DiskCheckRecorder } from '../disk/index.js';
import type {
  ContainerRuntime,
  ContainerState,
  EngineCallRecorder,
  NetworkShaper,
} from '../runtime/index.js';

export interface AgentMetrics {
  engineCalls: EngineCallRecorder;
  diskChecks: DiskCheckRecorder;
  /** The runtime with every `list` counted into the containers gauge. */
  observeListings(runtime: ContainerRuntime): ContainerRuntime;
  /** The shaper with every failure counted. */
  observeShaping(shaper: NetworkShaper): NetworkShaper;
}

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'exited', 'dead'];
// `run` includes a pull of a missing image: minutes at the top end.
const ENGINE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const DISK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createAgentMetrics(registry: Registry): AgentMetrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const engineCalls = new Histogram({
    name: 'rexec_agent_engine_call_duration_seconds',
    help: 'Container engine CLI calls (podman/docker) by verb and outcome (ok, timeout or error code).',
    labelNames: ['verb', 'outcome'] as const,
    buckets: ENGINE_BUCKETS,
    registers,
  });
  const containers = new Gauge({
    name: 'rexec_agent_containers',
    help: "Containers labelled with this host's id, by engine state, as of the last listing.",
    labelNames: ['state'] as const,
    registers,
  });
  const diskChecks = new Counter({
    name: 'rexec_agent_disk_checks_total',
    help: 'Disk monitor checks (list, then measure every limited container), by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const diskCheckDuration = new Histogram({
    name: 'rexec_agent_disk_check_duration_seconds',
    help: 'Time of one disk monitor check, from listing until its measurements ended.',
    buckets: DISK_BUCKETS,
    registers,
  });
  const shapingFailures = new Counter({
    name: 'rexec_agent_shaping_failures_total',
    help: 'Traffic shaping (tc in the container network namespace) that failed.',
    registers,
  });
  // Present from the first scrape, so rate() and alerts see a zero rather than no series.
  shapingFailures.inc(0);
  for (const state of STATES) containers.set({ state }, 0);

  return {
    engineCalls: {
      call: (verb, outcome, seconds) => engineCalls.observe({ verb, outcome }, seconds),
    },
    diskChecks: {
      check(outcome, seconds) {
        diskChecks.inc({ outcome });
        diskCheckDuration.observe(seconds);
      },
    },
    observeListings(runtime) {
      return {
        ...runtime,
        async list() {
          const listed = await runtime.list();
          for (const state of STATES) {
            containers.set({ state }, listed.filter((c) => c.state === state).length);
          }
          return listed;
        },
      };
    },
    observeShaping(shaper) {
      return {
        async shape(pid, mbps) {
          try {
            await shaper.shape(pid, mbps);
          } catch (error) {
            shapingFailures.inc();
            throw error;
          }
        },
      };
    },
  };
}
