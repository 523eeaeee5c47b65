// Every metric the control plane exposes, registered on the Registry main.ts makes (no global
// default registry): counters and histograms fed through the recorder interfaces, and gauges that
// read their value at scrape time (the fleet from Postgres, sockets and terminals from this
// process). The metric names are the contract the deploy/ dashboard and alert rules use.
import { CONTAINER_STATUSES, HostScheduling, HostStatus } from '@rexec/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Hub } from '../hub/hub.js';
import { CommandTimeoutError, HubStoppedError } from '../hub/channel.js';
import type { FleetCounts } from './fleet-counts.js';
import type {
  CommandRecorder,
  DeliveryRecorder,
  PlacementRecorder,
  RequestRecorder,
} from './recorders.js';

export interface ControlPlaneMetricSources {
  /** One grouped query (fleet-counts.ts); asked at most once per scrape. */
  fleetCounts(): Promise<FleetCounts>;
  /** Established agent sockets on this replica. */
  agentSockets(): number;
  /** Terminals this replica relays. */
  openTerminals(): number;
  log: Pick<Logger, 'warn'>;
}

export interface ControlPlaneMetrics {
  requests: RequestRecorder;
  placements: PlacementRecorder;
  deliveries: DeliveryRecorder;
  commands: CommandRecorder;
  /** Times every command the hub sends until its result, timeout or shutdown. */
  watchCommands(hub: Pick<Hub, 'onCommandSent'>): void;
}

// Commands include creates that pull images: minutes, not milliseconds, at the top end.
const COMMAND_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const PLACEMENT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Concurrent collectors share one query; a scrape a second later asks again. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (last === undefined || now - last.at > 1_000) last = { at: now, value: read() };
    return last.value;
  };
}

export function createControlPlaneMetrics(
  registry: Registry,
  sources: ControlPlaneMetricSources,
): ControlPlaneMetrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const fleet = oncePerScrape(() => sources.fleetCounts());

  /** Sets a gauge from the fleet counts; on a failed read its series go rather than lie. */
  async function fromFleet(gauge: Gauge, fill: (counts: FleetCounts) => void): Promise<void> {
    try {
      fill(await fleet());
    } catch (error) {
      gauge.reset();
      sources.log.warn({ err: error }, 'could not read the fleet counts for metrics');
    }
  }

  const httpRequests = new Counter({
    name: 'rexec_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'rexec_http_request_duration_seconds',
    help: 'HTTP request latency until the response was sent, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const placements = new Counter({
    name: 'rexec_placements_total',
    help: 'Container placements (create requests that reached the scheduler), by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const placementDuration = new Histogram({
    name: 'rexec_placement_duration_seconds',
    help: 'Time to rank hosts and reserve room for a new container, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: PLACEMENT_BUCKETS,
    registers,
  });
  const commandDuration = new Histogram({
    name: 'rexec_command_duration_seconds',
    help: 'Round trip of a command to an agent, from sending to its result, by action and outcome.',
    labelNames: ['action', 'outcome'] as const,
    buckets: COMMAND_BUCKETS,
    registers,
  });
  const deliveries = new Counter({
    name: 'rexec_webhook_deliveries_total',
    help: 'Webhook delivery attempts settled, by outcome (retrying and failed are failures).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const hosts: Gauge<'status' | 'scheduling'> = new Gauge({
    name: 'rexec_hosts',
    help: 'Hosts by connectivity status and scheduling state (fleet-wide, from Postgres).',
    labelNames: ['status', 'scheduling'] as const,
    registers,
    collect: () =>
      fromFleet(hosts, (counts) => {
        for (const status of HostStatus.options) {
          for (const scheduling of HostScheduling.options) {
            hosts.set({ status, scheduling }, counts.hosts.get(`${status}/${scheduling}`) ?? 0);
          }
        }
      }),
  });
  const containers: Gauge<'status'> = new Gauge({
    name: 'rexec_containers',
    help: 'Containers not deleted, by status (fleet-wide, from Postgres).',
    labelNames: ['status'] as const,
    registers,
    collect: () =>
      fromFleet(containers, (counts) => {
        for (const status of CONTAINER_STATUSES) {
          containers.set({ status }, counts.containers.get(status) ?? 0);
        }
      }),
  });
  const pending: Gauge = new Gauge({
    name: 'rexec_webhook_deliveries_pending',
    help: 'Webhook deliveries waiting in the outbox (fleet-wide, from Postgres).',
    registers,
    collect: () => fromFleet(pending, (counts) => pending.set(counts.pendingDeliveries)),
  });
  new Gauge({
    name: 'rexec_agent_sockets',
    help: 'Agent WebSocket sessions established on this replica.',
    registers,
    collect() {
      this.set(sources.agentSockets());
    },
  });
  new Gauge({
    name: 'rexec_terminals_open',
    help: 'Terminal sessions this replica relays.',
    registers,
    collect() {
      this.set(sources.openTerminals());
    },
  });

  const commands: CommandRecorder = {
    command: (action, outcome, seconds) => commandDuration.observe({ action, outcome }, seconds),
  };
  return {
    requests: {
      request(route, method, status, seconds) {
        const labels = { route, method, status: String(status) };
        httpRequests.inc(labels);
        httpDuration.observe(labels, seconds);
      },
    },
    placements: {
      placement(outcome, seconds) {
        placements.inc({ outcome });
        placementDuration.observe({ outcome }, seconds);
      },
    },
    deliveries: { delivery: (outcome) => deliveries.inc({ outcome }) },
    commands,
    watchCommands(hub) {
      hub.onCommandSent(({ command, result }) => {
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        void result.then(
          (answer) => commands.command(command.action, answer.ok ? 'ok' : 'failed', seconds()),
          (error: unknown) => {
            const outcome =
              error instanceof CommandTimeoutError
                ? 'timeout'
                : error instanceof HubStoppedError
                  ? 'aborted'
                  : 'failed';
            commands.command(command.action, outcome, seconds());
          },
        );
      });
    },
  };
}
