#!/usr/bin/env node
// rexec-agent: the only composition root of the agent. Reads the environment and flags, finds the
// engine, loads or obtains the host credential, wires runtime, commands, status reports, terminals
// and the connection loop, and owns the signals: SIGTERM/SIGINT drain commands, kill the shells,
// say GOODBYE, close 4009 and exit 0 with containers left running. Exit 2 on bad configuration, 1 on any fatal error.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AgentMessage } from '@rexec/protocol';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { createHostMeter, STORAGE_PATHS } from './capacity.js';
import { createCommandExecutor } from './commands.js';
import { ConfigError, loadConfig } from './config.js';
import type { AgentConfig } from './config.js';
import { createConnectLoop } from './socket/connect-loop.js';
import type { ConnectLoop } from './socket/connect-loop.js';
import { AgentFatalError } from './errors.js';
import { buildHello } from './socket/hello.js';
import { loadIdentity } from './identity.js';
import { collectInventory } from './inventory.js';
import {
  createDiskMonitor,
  createQuotaStops,
  createStorageSpace,
  diskEnforcement,
} from './disk/index.js';
import { createStatsReader, createStatsSampler, mergeUsage } from './stats/index.js';
import { runDoctor } from './doctor/doctor-command.js';
import { runPurge } from './doctor/purge-command.js';
import { retireHost } from './retire.js';
import { checkHost, failedRequired, userNamespacesOf } from './doctor/host-checks.js';
import { egressPolicy, setUpNetworkEnforcement } from './network/index.js';
import { createCliRuntime, poolCidr } from './runtime/index.js';
import { detectRuntime } from './runtime-detect.js';
import { prepareRuntimeDir } from './runtime-dir.js';
import { createStatusReporter } from './status-reports.js';
import { createExecManager } from './exec/index.js';
import { createFileManager } from './files/index.js';
import { createTerminalManager } from './terminal/index.js';
import type { TerminalManager } from './terminal/index.js';
import { AGENT_VERSION } from './version.js';
import { createAgentMetrics } from './metrics/agent-metrics.js';
import { createMetricsServer } from '@rexec/protocol/metrics-server';

const EXIT_FATAL = 1;
const EXIT_CONFIG = 2;

/**
 * Runs `handler` on the first SIGTERM/SIGINT and ignores repeats. The listeners stay installed
 * (`on`, not `once`): with none left, execa's signal-exit re-raises the signal and the agent would
 * die at once with 143 instead of draining and saying GOODBYE.
 */
function onSignals(handler: (signal: NodeJS.Signals) => void): void {
  let handled = false;
  const once = (signal: NodeJS.Signals) => {
    if (handled) return;
    handled = true;
    handler(signal);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, once);
}

/** The URL as logged: any user:password in it is left out. */
function withoutCredentials(url: URL): string {
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.href;
}

async function run(config: AgentConfig, log: Logger): Promise<number> {
  const shutdown = new AbortController();
  let stopParts: (() => Promise<void>) | null = null;
  onSignals((signal) => {
    log.info({ signal }, 'shutting down');
    shutdown.abort();
    void stopParts?.();
  });

  const runtimeDir = await prepareRuntimeDir(config.runtimeDir);
  const engine = await detectRuntime(config.runtime, log);
  log.info({ runtime: engine.kind, version: engine.info.version }, 'container engine found');
  let identity;
  try {
    identity = await loadIdentity(config, log, shutdown.signal);
  } catch (error) {
    if (shutdown.signal.aborted) return 0;
    throw error;
  }
  if (shutdown.signal.aborted) return 0;

  const network = await setUpNetworkEnforcement({
    hostId: identity.host_id,
    sourceCidr: poolCidr(config.userNetworkPool),
    allowedHostPorts: config.containerHostPorts,
    egress: egressPolicy(config.egressAllow, config.egressDeny),
    controlPlaneUrls: config.urls,
    log: log.child({ component: 'network' }),
  });
  const registry = new Registry();
  const metrics = createAgentMetrics(registry);
  const runtime = metrics.observeListings(
    createCliRuntime({
      kind: engine.kind,
      hostId: identity.host_id,
      log: log.child({ component: 'runtime' }),
      registryMirrors: config.registryMirrors,
      userNetworkPool: config.userNetworkPool,
      userNetworkIdleMs: config.userNetworkIdleMs,
      homeVolumePool: config.homeVolumePool,
      pidDir: join(runtimeDir, 'pids'),
      maxImageMb: config.maxImageMb,
      ...(network.shaper === undefined ? {} : { shaper: metrics.observeShaping(network.shaper) }),
      engineCalls: metrics.engineCalls,
    }),
  );
  const meter = createHostMeter(engine.kind, config.capacity);
  const storageSpace = createStorageSpace({
    path: STORAGE_PATHS[engine.kind],
    minFreeMb: config.minFreeDiskMb,
  });
  const disk = diskEnforcement(engine.info, config.diskCheckMs);
  const hostHealth = () =>
    checkHost({
      engine: engine.kind,
      network: network.enforcement,
      disk: disk.mode,
      userNamespaces: userNamespacesOf(engine.info),
    });
  logHostChecks(await hostHealth(), log);
  const instanceId = randomBytes(12).toString('hex');
  let loop: ConnectLoop | null = null;
  const send = (message: AgentMessage) => void loop?.send(message);
  const executor = createCommandExecutor({
    runtime,
    log: log.child({ component: 'commands' }),
    send,
    roleSetupTimeoutMs: config.roleSetupTimeoutMs,
    beforeCreate: () => storageSpace.assertRoom(),
  });
  const terminals = createTerminalManager({
    runtime,
    // createCliRuntime runs the engine named by its kind from PATH; the shells use the same one.
    binary: engine.kind,
    config: config.terminal,
    log: log.child({ component: 'terminal' }),
  });
  const execs = createExecManager({ binary: engine.kind, log: log.child({ component: 'exec' }) });
  const files = createFileManager({
    binary: engine.kind,
    log: log.child({ component: 'files' }),
    repairStorage: (containerId, stderr) =>
      executor.exclusive(containerId, () => runtime.repairLeftMount(containerId, stderr)),
  });
  // A container reported as no longer running (by the engine's events or a disk quota stop) takes
  // its shells with it.
  const reportStatus = (message: AgentMessage) => {
    if (message.type === 'AGENT_CONTAINER_STATUS' && message.container.state !== 'running') {
      terminals.containerStopped(message.container.container_id);
    }
    send(message);
  };
  const quotaStops = createQuotaStops();
  const reporter = createStatusReporter({
    runtime,
    log: log.child({ component: 'status' }),
    send: reportStatus,
    quotaStops,
  });
  const diskMonitor = createDiskMonitor({
    runtime,
    log: log.child({ component: 'disk' }),
    send: reportStatus,
    intervalMs: config.diskCheckMs,
    measureTimeoutMs: config.diskMeasureTimeoutMs,
    unmeasurableAfter: config.diskMeasureFailures,
    quotaStops,
    exclusive: (containerId, work) => executor.exclusive(containerId, work),
    checks: metrics.diskChecks,
  });
  const statsSampler = createStatsSampler({
    read: createStatsReader(engine.kind),
    ownContainers: () => diskMonitor.running(),
    log: log.child({ component: 'stats' }),
    intervalMs: config.statsIntervalMs,
  });
  const metricsServer =
    config.metrics === undefined
      ? undefined
      : createMetricsServer(registry, config.metrics, log.child({ component: 'metrics' }));
  const connectLoop = createConnectLoop({
    urls: config.urls,
    credential: identity.credential,
    log: log.child({ component: 'connection' }),
    buildHello: () =>
      buildHello({
        runtime,
        meter,
        hostName: config.hostName,
        instanceId,
        log,
        capabilities: ['terminal', 'exec', 'files', 'disk_monitor', 'result_ack', 'inventory'],
        network: network.enforcement,
        diskEnforcement: disk,
        health: hostHealth,
      }),
    terminals,
    execs,
    files,
    usage: () => meter.usage(),
    containerUsage: () => mergeUsage(diskMonitor.usage(), statsSampler.usage()),
    storage: () => storageSpace.measure(),
    onCommand: (message) => executor.handle(message),
    onResultAck: (commandId) => executor.acknowledge(commandId),
    inventory: () => collectInventory(runtime, log),
    onWelcome: (welcome) => {
      if (welcome.host_id !== identity.host_id) {
        log.error(
          { stored: identity.host_id, welcomed: welcome.host_id },
          'WELCOME names another host id than the stored credential; using the stored one',
        );
      }
      log.info(
        {
          host_id: welcome.host_id,
          host_name: welcome.host_name,
          connection_id: welcome.connection_id,
          instance_id: instanceId,
          heartbeat_interval_ms: welcome.heartbeat_interval_ms,
        },
        'connected',
      );
      executor.welcomed(welcome.capabilities?.includes('result_ack') ?? false);
    },
  });
  loop = connectLoop;

  let stopping: Promise<void> | null = null;
  stopParts = () =>
    (stopping ??= (async () => {
      await executor.drain();
      await statsSampler.stop();
      await diskMonitor.stop();
      await reporter.stop();
      execs.shutdown();
      files.shutdown();
      await terminals.shutdown();
      await connectLoop.stop();
      runtime.close();
      await metricsServer?.stop();
    })());
  if (metricsServer !== undefined) {
    // Before any part starts: a port taken is a start-up failure with nothing to undo.
    log.info({ url: await metricsServer.start() }, 'metrics listening');
  }
  reporter.start();
  diskMonitor.start();
  statsSampler.start();
  // In the background: creates work meanwhile (they make their own volume, `run` finds networks).
  const preparing = runtime.prepare().catch((error: unknown) => {
    log.warn({ err: error }, 'could not ready the home volume pool and user network list');
  });
  if (shutdown.signal.aborted) void stopParts();

  const end = await connectLoop.run();
  if (end.kind === 'fatal') {
    await executor.drain();
    await statsSampler.stop();
    await diskMonitor.stop();
    await reporter.stop();
    execs.shutdown();
    files.shutdown();
    await stopTerminals(terminals, log);
    // A pool still filling would add volumes behind the retirement below.
    await preparing;
    runtime.close();
    await metricsServer?.stop();
    // Revoked, or a credential the control plane does not know: either way this host id is done
    // (joining again makes a new one), so what it made for containers it no longer has goes.
    if (end.error.code === 'credential_revoked' || end.error.code === 'unauthorized')
      await retireHost(engine.kind, identity.host_id, log);
    throw end.error;
  }
  await stopParts();
  log.info('stopped; containers keep running');
  return 0;
}

// Said at start so an operator reading the log sees what `rexec-agent doctor` would say; the
// control plane gets the same checks in every HELLO and keeps work off a host failing one required.
function logHostChecks(checks: Awaited<ReturnType<typeof checkHost>>, log: Logger): void {
  for (const check of checks) {
    if (check.ok) continue;
    const fields = { check: check.check, required: check.required };
    if (check.required) log.error(fields, check.message);
    else log.warn(fields, check.message);
  }
  const failed = failedRequired(checks);
  if (failed.length > 0) {
    log.error(
      { checks: failed.map((c) => c.check) },
      'this host cannot run Rexec containers; it joins as "unhealthy" and gets no work (run `rexec-agent doctor`)',
    );
  }
}

// A fatal close ends the agent: its shells must not outlive it unseen in the containers.
async function stopTerminals(terminals: TerminalManager, log: Logger): Promise<void> {
  if (terminals.sessionCount > 0) log.info({ sessions: terminals.sessionCount }, 'ending shells');
  await terminals.shutdown();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const subcommand = () => ({
    env: process.env,
    argv: args.slice(1),
    out: (line: string) => process.stdout.write(`${line}\n`),
    log: pino({ level: 'error' }, pino.destination(2)),
  });
  if (args[0] === 'doctor') return runDoctor(subcommand());
  if (args[0] === 'purge') return runPurge(subcommand());
  let config: AgentConfig;
  try {
    config = loadConfig(process.env, args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pino().fatal({ code: 'invalid_config' }, error.message);
    return EXIT_CONFIG;
  }
  const log = pino({ level: config.logLevel, base: { service: 'rexec-agent', pid: process.pid } });
  log.info(
    {
      version: AGENT_VERSION,
      urls: config.urls.map(withoutCredentials),
      host_name: config.hostName,
    },
    'starting',
  );
  try {
    return await run(config, log);
  } catch (error) {
    if (error instanceof AgentFatalError) {
      log.fatal({ code: error.code }, error.message);
    } else {
      log.fatal({ err: error }, 'unexpected failure');
    }
    return EXIT_FATAL;
  }
}

process.exit(await main());
