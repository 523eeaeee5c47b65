#!/usr/bin/env node
// rexec-control-plane: the only composition root. Reads the environment and flags, opens and
// migrates the database (stopping on failure before listening), seeds tiers, bootstraps the first
// admin, serves the API, and shuts down cleanly on SIGTERM/SIGINT. All else gets its parts here.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { bootstrap } from './bootstrap.js';
import { applyFlags, ConfigError, loadConfig, type Config } from './config.js';
import { migrateDatabase } from './db/migrate.js';
import { openDatabase, redact, type Database, type DbTarget } from './db/open.js';
import { keepWasmOnBaselineTier } from './db/wasm-tier.js';
import { buildApp } from './http/app.js';
import { createIpLimits } from './http/ip-limits.js';
import { liveTokenIds } from './services/tokens.js';
import { loadConsoleAssets, type ConsoleAssets } from './http/console-assets.js';
import { createRateLimiter } from './http/rate-limit.js';
import { createCommandRelay } from './hub/command-relay.js';
import { createHub } from './hub/hub.js';
import { createReplicaPresence } from './hub/replica-presence.js';
import { createReplicaRegistry, type ReplicaRegistry } from './hub/replica-registry.js';
import { acceptForwarded, createTerminalForwarder } from './terminal/replica-forward.js';
import { forwardKey } from './terminal/forward-signature.js';
import { clientAddressOf } from './http/client-address.js';
import { attachLifecycle, createLaunches, createRunningBatcher } from './lifecycle/index.js';
import { createHostLossReaper } from './lifecycle/host-loss.js';
import { createPeriodicReconcile } from './lifecycle/periodic-reconcile.js';
import { createSessionReaper } from './lifecycle/session-reaper.js';
import { createIdleStop } from './lifecycle/idle-stop.js';
import { createActivityTracker } from './activity/activity-tracker.js';
import { createAuditRetention } from './lifecycle/audit-retention.js';
import { createEventWake } from './events/event-wake.js';
import { createPlacer } from './scheduler/placer.js';
import { createBackgroundExecs, createExecRunner, createExecStreamRelay } from './exec/index.js';
import { createFileService } from './files/index.js';
import { createTerminalRelay } from './terminal/relay.js';
import { createWebhookDispatcher } from './webhooks/dispatcher.js';
import { createControlPlaneMetrics } from './metrics/control-plane-metrics.js';
import { readFleetCounts } from './metrics/fleet-counts.js';
import { createMetricsServer, type MetricsServer } from '@rexec/protocol/metrics-server';

function readConfig(): Config {
  try {
    return loadConfig(applyFlags(process.env, process.argv.slice(2)));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rexec-control-plane: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function openAndMigrate(config: Config, log: Logger): Promise<Database> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const target: DbTarget =
    config.databaseUrl === undefined
      ? { dataDir: join(config.dataDir, 'db') }
      : { url: config.databaseUrl };
  log.info({ database: 'url' in target ? redact(target.url) : target.dataDir }, 'opening database');
  // Before PGlite compiles its Postgres: the optimizing tier costs memory and buys nothing here.
  if (!('url' in target)) keepWasmOnBaselineTier();
  const database = await openDatabase(target, {
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  });
  try {
    await migrateDatabase(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * The built console: REXEC_CONSOLE_DIR, else packages/console/dist found from this file (src/ and
 * dist/ sit at the same depth, so the path holds for both). Missing is a warning, not a failure:
 * the API works without it.
 */
async function loadConsole(config: Config, log: Logger): Promise<ConsoleAssets | null> {
  const dir =
    config.consoleDir === undefined
      ? fileURLToPath(new URL('../../console/dist', import.meta.url))
      : resolve(config.consoleDir);
  const assets = await loadConsoleAssets(dir);
  if (assets === null) {
    log.warn(
      { console_dir: dir },
      'web console not built (run `npm run build`); serving the API only',
    );
  } else {
    log.info({ console_dir: dir, files: assets.assets.size + 1 }, 'serving the web console at /');
  }
  return assets;
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = pino({ level: config.logLevel, base: { service: 'rexec-control-plane' } });
  let database: Database;
  let consoleAssets: ConsoleAssets | null;
  try {
    consoleAssets = await loadConsole(config, log);
    database = await openAndMigrate(config, log);
    await bootstrap(database, config, log);
  } catch (error) {
    log.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  }

  const presence = createReplicaPresence(database, log.child({ part: 'presence' }));
  const ipLimits = createIpLimits({
    authFailuresPerMin: config.authFailuresPerIpPerMin,
    enrollsPerMin: config.enrollsPerIpPerMin,
  });
  const activity = createActivityTracker(
    { db: database.db, log: log.child({ part: 'activity' }) },
    {
      flushIntervalMs: config.activityFlushIntervalMs,
      cpuThresholdMillicores: config.idleCpuMillicores,
    },
  );
  const hub = createHub({
    database,
    log: log.child({ part: 'hub' }),
    presence,
    ipLimits,
    clientAddress: clientAddressOf(config.trustProxy),
    activity,
  });
  // What users ask for goes to a host's agent through whichever replica holds its socket.
  const commands = createCommandRelay({
    database,
    hub,
    replicaId: presence.replicaId,
    enabled: presence.sharedDatabase,
    log: log.child({ part: 'relay' }),
  });
  // Batched moves to running and the API's background creates: shutdown waits for both.
  const running = createRunningBatcher(database.db);
  const launches = createLaunches(log.child({ part: 'lifecycle' }));
  const lifecycle = attachLifecycle(hub, {
    db: database.db,
    running,
    log: log.child({ part: 'lifecycle' }),
  });
  const reaper = createSessionReaper({ ...lifecycle, hub });
  const idleStop = createIdleStop(
    { ...lifecycle, hub, activity },
    { intervalMs: config.idleCheckIntervalMs, minuteMs: config.idleMinuteMs },
  );
  const hostLoss = createHostLossReaper(lifecycle, { lostAfterMs: config.hostLostAfterMs });
  const terminals = createTerminalRelay({
    hub,
    log: log.child({ part: 'terminal' }),
    liveTokens: (tokenIds) => liveTokenIds(database.db, tokenIds),
    activity,
  });
  // Terminals and execs for hosts another replica holds go to it, signed with the cluster secret.
  const signingKey =
    config.clusterSecret === undefined ? undefined : forwardKey(config.clusterSecret);
  const forwarder =
    config.clusterSecret === undefined
      ? undefined
      : createTerminalForwarder(config.clusterSecret, log.child({ part: 'forward' }));
  let replicas: ReplicaRegistry | undefined;
  const execStreams = createExecStreamRelay({
    hub,
    log: log.child({ part: 'exec-stream' }),
    activity,
  });
  // Recorded whether or not the listener is on: the cost is a few counter increments per request.
  const registry = new Registry();
  const metrics = createControlPlaneMetrics(registry, {
    fleetCounts: () => readFleetCounts(database.db),
    agentSockets: () => hub.connectedHostIds().length,
    openTerminals: () => terminals.size,
    log: log.child({ part: 'metrics' }),
  });
  metrics.watchCommands(hub);
  const metricsServer: MetricsServer | undefined =
    config.metrics === undefined
      ? undefined
      : createMetricsServer(registry, config.metrics, log.child({ part: 'metrics' }));
  const webhooks = createWebhookDispatcher(
    { db: database.db, log: log.child({ part: 'webhooks' }), deliveries: metrics.deliveries },
    { policy: config.webhookPolicy },
  );
  const reconciler = createPeriodicReconcile({ ...lifecycle, hub }, config.reconcileIntervalMs);
  const eventWake = createEventWake({ database, log: log.child({ part: 'events' }) });
  const auditRetention = createAuditRetention({
    db: database.db,
    log: log.child({ part: 'audit' }),
    retentionDays: config.auditRetentionDays,
  });
  const app = await buildApp({
    database,
    config,
    log,
    running,
    launches,
    placer: createPlacer({
      db: database.db,
      strategy: config.schedulerStrategy,
      cpuOvercommit: config.cpuOvercommit,
      placements: metrics.placements,
      held: (hostId) => hub.isConnected(hostId),
    }),
    rateLimiter: createRateLimiter({ database, log }),
    ipLimits,
    hostApproval: config.hostApproval,
    allowedRegistries: config.allowedRegistries,
    webhookPolicy: config.webhookPolicy,
    hub: commands,
    sockets: hub,
    agentUpgrades: hub.handleUpgrade,
    terminals,
    ...(presence.sharedDatabase
      ? {
          replicaForwarding: {
            holderOf: (hostId: string) => replicas?.holderOf(hostId) ?? Promise.resolve(undefined),
            forwarder,
            key: signingKey,
          },
        }
      : {}),
    ...(signingKey === undefined ? {} : { forwardKey: signingKey }),
    forwardedUpgrades: acceptForwarded({
      clusterSecret: config.clusterSecret,
      isConnected: (hostId) => hub.isConnected(hostId),
      terminals,
      execStreams,
      log: log.child({ part: 'forward' }),
    }),
    idleMinuteMs: config.idleMinuteMs,
    shuttingDown: () => stopping,
    trustProxy: config.trustProxy,
    execs: createExecRunner({
      hub,
      activity,
      log: log.child({ part: 'exec' }),
      options: {
        outputLimitBytes: config.execOutputLimitBytes,
        maxPerContainer: config.execMaxConcurrent,
      },
    }),
    backgroundExecs: createBackgroundExecs({
      hub,
      activity,
      options: {
        bufferBytes: config.execBufferBytes,
        graceMs: config.execGraceMs,
        maxPerContainer: config.execMaxConcurrent,
      },
    }),
    execStreams,
    eventWake,
    files: createFileService({
      hub,
      activity,
      log: log.child({ part: 'files' }),
      options: { maxUploadBytes: config.maxUploadBytes },
    }),
    console: consoleAssets,
    requestMetrics: metrics.requests,
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, delay_ms: config.shutdownDelayMs }, 'shutting down');
    // First /readyz turns 503 while everything still serves, for REXEC_SHUTDOWN_DELAY_SECONDS, so a
    // load balancer's health checks take this replica out before its agents are told to go
    // elsewhere (they would otherwise be balanced straight back to it). Then the reverse order of
    // start: no new sessions or reaps, terminals closed (their shells wait in the agents to be
    // resumed), agents told to go elsewhere, then HTTP.
    new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs))
      .then(() => metricsServer?.stop())
      .then(() => reconciler.stop())
      .then(() => auditRetention.stop())
      .then(() => eventWake.stop())
      .then(() => webhooks.stop())
      .then(() => hostLoss.stop())
      .then(() => idleStop.stop())
      .then(() => reaper.stop())
      .then(() => execStreams.stop())
      .then(() => terminals.stop())
      .then(() => forwarder?.stop())
      .then(() => commands.stop())
      .then(() => hub.stop())
      .then(() => activity.stop())
      .then(() => app.close())
      // Launches end once the channels stopped; their results and every batched move to running
      // are written before the pool closes.
      .then(() => launches.settle())
      .then(() => running.flush())
      .then(() =>
        replicas?.stop().catch((error: unknown) => {
          log.warn({ err: error }, 'could not remove this replica’s row');
        }),
      )
      .then(() => presence.release())
      .then(() => database.close())
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      });
  };
  // `on`, not `once`: with no listener left, execa's signal-exit re-raises the signal and the
  // process dies mid-shutdown. A second signal is ignored by the `stopping` guard.
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    // Takes this process's presence lock; hosts left online by a process that died are shown
    // unreachable before the first request.
    await hub.sweepNow();
  } catch (error) {
    log.fatal({ err: error }, 'start-up failed');
    await presence.release();
    await database.close();
    process.exit(1);
  }
  try {
    hub.start();
    commands.start();
    terminals.start();
    execStreams.start();
    reaper.start();
    activity.start();
    idleStop.start();
    hostLoss.start();
    webhooks.start();
    await eventWake.start();
    auditRetention.start();
    reconciler.start();
    await app.listen({ host: config.bind, port: config.port });
  } catch (error) {
    log.fatal({ err: error, bind: config.bind, port: config.port }, 'cannot listen');
    await reconciler.stop();
    await hostLoss.stop();
    await webhooks.stop();
    await auditRetention.stop();
    await eventWake.stop();
    await idleStop.stop();
    await activity.stop();
    await reaper.stop();
    await execStreams.stop();
    await terminals.stop();
    await commands.stop();
    await hub.stop();
    await presence.release();
    await database.close();
    process.exit(1);
  }
  if (metricsServer !== undefined && config.metrics !== undefined) {
    try {
      log.info({ url: await metricsServer.start() }, 'metrics listening');
    } catch (error) {
      log.fatal({ err: error, ...config.metrics }, 'cannot listen for metrics');
      process.exit(1);
    }
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
  log.info({ url: `http://${host}:${port}` }, 'listening');
  if (presence.sharedDatabase) {
    replicas = createReplicaRegistry({
      database,
      replicaId: presence.replicaId,
      advertiseUrl: config.advertiseUrl ?? `http://${reachableHost(config.bind)}:${port}`,
      clusterSecretSet: config.clusterSecret !== undefined,
      log: log.child({ part: 'replicas' }),
    });
    try {
      await replicas.start();
    } catch (error) {
      // Terminals for this replica's hosts cannot be forwarded here until a heartbeat succeeds.
      log.error({ err: error }, 'could not register this replica');
    }
  }
}

/** A host other replicas on this machine can use when the bind is a wildcard. */
function reachableHost(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

await main();
