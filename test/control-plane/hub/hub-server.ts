// A real control plane for the hub, lifecycle and terminal suites: fresh migrated database on the
// chosen driver, the agent hub and terminal relay on fastify's server with the lifecycle wired in,
// listening on 127.0.0.1 port 0, plus helpers to enroll hosts and read rows. Stopped at the end.
import type { Test } from 'tap';
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { buildApp, type AppDependencies } from '../../../packages/control-plane/src/http/app.js';
import { createRateLimiter } from '../../../packages/control-plane/src/http/rate-limit.js';
import {
  createHub,
  type Hub,
  type HubDependencies,
  type HubOptions,
} from '../../../packages/control-plane/src/hub/hub.js';
import {
  attachLifecycle,
  createSessionReaper,
  type LifecycleDeps,
  type SessionReaper,
} from '../../../packages/control-plane/src/lifecycle/index.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { createJoinToken } from '../../../packages/control-plane/src/services/hosts.js';
import { liveTokenIds } from '../../../packages/control-plane/src/services/tokens.js';
import {
  createTerminalRelay,
  type TerminalRelay,
  type TerminalRelayOptions,
} from '../../../packages/control-plane/src/terminal/relay.js';
import type { DbDriver } from '../../helpers/postgres.js';
import { call, liftedIpLimits, liftRateLimits, preparedDatabase } from '../http/server.js';
import { AgentPeer, type HelloOptions } from './agent-peer.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { createRunningBatcher } from '../../../packages/control-plane/src/lifecycle/running-batch.js';

export interface HubServer {
  url: string;
  database: Database;
  adminToken: string;
  hub: Hub;
  lifecycle: LifecycleDeps;
  reaper: SessionReaper;
  terminals: TerminalRelay;
  logs: Record<string, unknown>[];
}

export interface ServerWiring extends Pick<HubDependencies, 'ipLimits'> {
  /**
   * Every command the lifecycle sends waits at most this long for its result (the protocol's
   * timeouts are 30 s and more): a silent agent's timeouts in test time, on the real hub. Read at
   * each send, so a test may change it between commands (undefined: the real timeouts).
   */
  commandTimeoutCapMs?: number | undefined;
}

/** The hub as the lifecycle sees it, its commands' timeouts capped by `wiring`. */
function cappedTimeouts(hub: Hub, wiring: ServerWiring): Hub {
  return {
    ...hub,
    sendCommand: (hostId, containerId, command, timeoutMs) =>
      hub.sendCommand(
        hostId,
        containerId,
        command,
        Math.min(timeoutMs, wiring.commandTimeoutCapMs ?? timeoutMs),
      ),
  };
}

export async function startHubServer(
  t: Test,
  driver: DbDriver,
  options: HubOptions = {},
  terminalOptions: TerminalRelayOptions = {},
  appOptions: Pick<AppDependencies, 'hostApproval' | 'allowedRegistries'> = {},
  wiring: ServerWiring = {},
): Promise<HubServer> {
  const { database, adminToken } = await preparedDatabase(t, driver);
  const { log, lines: logs } = capturedLog('info');
  const ipLimits = wiring.ipLimits === undefined ? {} : { ipLimits: wiring.ipLimits };
  const hub = cappedTimeouts(createHub({ database, log, options, ...ipLimits }), wiring);
  const running = createRunningBatcher(database.db);
  const lifecycle = attachLifecycle(hub, { db: database.db, running, log });
  const reaper = createSessionReaper({ ...lifecycle, hub });
  const terminals = createTerminalRelay({
    hub,
    log,
    liveTokens: (tokenIds) => liveTokenIds(database.db, tokenIds),
    options: terminalOptions,
  });
  const app = await buildApp({
    database,
    running,
    config: { bind: '127.0.0.1', port: 0 },
    log,
    placer: createPlacer({
      db: database.db,
      strategy: 'binpack',
      cpuOvercommit: DEFAULT_CPU_OVERCOMMIT,
    }),
    rateLimiter: createRateLimiter({ database, log }),
    ipLimits: liftedIpLimits(),
    hub,
    agentUpgrades: hub.handleUpgrade,
    terminals,
    ...appOptions,
  });
  hub.start();
  terminals.start();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await terminals.stop();
    await hub.stop();
    await app.close();
  });
  const server = { url, database, adminToken, hub, lifecycle, reaper, terminals, logs };
  await liftRateLimits(server);
  return server;
}

export interface Enrollment {
  hostId: string;
  credential: string;
}

/** A join token minted by the service, traded through the real enroll route. */
export async function enroll(server: HubServer, hostName = 'peer-host'): Promise<Enrollment> {
  const { token } = await createJoinToken(server.database.db, { createdBy: null });
  const answer = await call(server, 'POST', '/api/v1/agent/enroll', {
    token,
    json: { host_name: hostName, agent_version: '0.1.0', protocol_version: 1 },
  });
  if (answer.status !== 201) throw new Error(`enroll answered ${answer.status}`);
  return { hostId: answer.body.host_id as string, credential: answer.body.credential as string };
}

/** Enrolls a host and connects a peer that completed the handshake and keeps heartbeating. */
export async function onlinePeer(
  t: Test,
  server: HubServer,
  hostName?: string,
  options: { silent?: boolean; hello?: HelloOptions } = {},
): Promise<{ peer: AgentPeer; enrollment: Enrollment }> {
  const enrollment = await enroll(server, hostName);
  const peer = await AgentPeer.connect(server.url, enrollment.credential);
  t.teardown(() => peer.ws.terminate());
  await peer.hello({ ...options.hello, hostName });
  if (options.silent !== true) peer.keepAlive();
  return { peer, enrollment };
}

export interface HostState {
  status: string;
  reserved_cpu_millicores: number;
  reserved_memory_mb: number;
  capacity_cpu_millicores: number;
  last_seen_at: Date | null;
}

export async function hostRow(server: HubServer, hostId: string): Promise<HostState | undefined> {
  const rows = await selectRows<HostState & Record<string, unknown>>(
    server.database.db,
    sql`select status, reserved_cpu_millicores, reserved_memory_mb, capacity_cpu_millicores,
               last_seen_at from hosts where id = ${hostId}`,
  );
  return rows[0];
}

/** Polls `check` every 50 ms until it returns a value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
