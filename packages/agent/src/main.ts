#!/usr/bin/env node
// rexec-agent: the only composition root of the agent. Reads the environment and flags, finds the
// engine, loads or obtains the host credential, wires runtime, commands, status reports and the
// connection loop, and owns the signals: SIGTERM/SIGINT drain commands, say GOODBYE, close 4009 and
// exit 0 with containers left running. Exit 2 on bad configuration, 1 on any fatal error.
import { randomBytes } from 'node:crypto';
import type { AgentMessage } from '@rexec/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createHostMeter } from './capacity.js';
import { createCommandExecutor } from './commands.js';
import { ConfigError, loadConfig } from './config.js';
import type { AgentConfig } from './config.js';
import { createConnectLoop } from './connect-loop.js';
import type { ConnectLoop } from './connect-loop.js';
import { AgentFatalError } from './errors.js';
import { buildHello } from './hello.js';
import { loadIdentity } from './identity.js';
import { createCliRuntime } from './runtime/index.js';
import { detectRuntime } from './runtime-detect.js';
import { createStatusReporter } from './status-reports.js';
import { AGENT_VERSION } from './version.js';

const EXIT_FATAL = 1;
const EXIT_CONFIG = 2;

function onSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, handler);
}

async function run(config: AgentConfig, log: Logger): Promise<number> {
  const shutdown = new AbortController();
  let stopParts: (() => Promise<void>) | null = null;
  onSignals((signal) => {
    log.info({ signal }, 'shutting down');
    shutdown.abort();
    void stopParts?.();
  });

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

  const runtime = createCliRuntime({
    kind: engine.kind,
    hostId: identity.host_id,
    log: log.child({ component: 'runtime' }),
  });
  const meter = createHostMeter(engine.kind, config.capacity);
  const instanceId = randomBytes(12).toString('hex');
  let loop: ConnectLoop | null = null;
  const send = (message: AgentMessage) => void loop?.send(message);
  const executor = createCommandExecutor({
    runtime,
    log: log.child({ component: 'commands' }),
    send,
  });
  const reporter = createStatusReporter({ runtime, log: log.child({ component: 'status' }), send });
  const connectLoop = createConnectLoop({
    url: config.url,
    credential: identity.credential,
    log: log.child({ component: 'connection' }),
    buildHello: () => buildHello({ runtime, meter, hostName: config.hostName, instanceId, log }),
    usage: () => meter.usage(),
    onCommand: (message) => executor.handle(message),
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
    },
  });
  loop = connectLoop;

  let stopping: Promise<void> | null = null;
  stopParts = () =>
    (stopping ??= (async () => {
      await executor.drain();
      await reporter.stop();
      await connectLoop.stop();
    })());
  reporter.start();
  if (shutdown.signal.aborted) void stopParts();

  const end = await connectLoop.run();
  if (end.kind === 'fatal') {
    await executor.drain();
    await reporter.stop();
    throw end.error;
  }
  await stopParts();
  log.info('stopped; containers keep running');
  return 0;
}

async function main(): Promise<number> {
  let config: AgentConfig;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pino().fatal({ code: 'invalid_config' }, error.message);
    return EXIT_CONFIG;
  }
  const log = pino({ level: config.logLevel, base: { service: 'rexec-agent', pid: process.pid } });
  log.info(
    { version: AGENT_VERSION, url: config.url.href, host_name: config.hostName },
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
