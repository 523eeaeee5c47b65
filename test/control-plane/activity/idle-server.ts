// A real control plane for the idle-stop suites: fresh migrated Postgres, the agent hub with the
// activity tracker wired in (heartbeats' CPU measures reach it), the lifecycle, and an idle pass
// the test drives itself (stopIdleOnce) rather than on a timer. Listening on 127.0.0.1 port 0;
// stopped at the end. Agents are scripted peers (hub/agent-peer.ts) over real WebSockets.
import type { Test } from 'tap';
import {
  createActivityTracker,
  type ActivityTracker,
} from '../../../packages/control-plane/src/activity/activity-tracker.js';
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import { buildApp } from '../../../packages/control-plane/src/http/app.js';
import { createRateLimiter } from '../../../packages/control-plane/src/http/rate-limit.js';
import { createHub, type Hub } from '../../../packages/control-plane/src/hub/hub.js';
import type { LifecycleDeps } from '../../../packages/control-plane/src/lifecycle/actions.js';
import {
  attachLifecycle,
  createIdleStop,
  type IdleStop,
} from '../../../packages/control-plane/src/lifecycle/index.js';
import { DEFAULT_CPU_OVERCOMMIT } from '../../../packages/control-plane/src/scheduler/cpu-overcommit.js';
import { createPlacer } from '../../../packages/control-plane/src/scheduler/placer.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { createJoinToken } from '../../../packages/control-plane/src/services/hosts.js';
import { call, liftedIpLimits, liftRateLimits, preparedDatabase } from '../http/server.js';
import { AgentPeer } from '../hub/agent-peer.js';
import { createRunningBatcher } from '../../../packages/control-plane/src/lifecycle/running-batch.js';

export interface IdleServer {
  url: string;
  database: Database;
  adminToken: string;
  hub: Hub;
  activity: ActivityTracker;
  idleStop: IdleStop;
  /** What reconciliation acts through, for suites that run it themselves. */
  lifecycle: LifecycleDeps;
  /** A second idle pass on the same hub, as another replica's would race this one. */
  otherIdleStop: IdleStop;
}

/** The CPU threshold the suites use; REXEC_IDLE_CPU_MILLICORES's default. */
export const CPU_THRESHOLD = 50;

export async function startIdleServer(t: Test): Promise<IdleServer> {
  const { database, adminToken } = await preparedDatabase(t, 'pg');
  const { log } = capturedLog('info');
  // The timer is never started: the suites flush through the pass, so nothing races them.
  const activity = createActivityTracker(
    { db: database.db, log },
    { flushIntervalMs: 60_000, cpuThresholdMillicores: CPU_THRESHOLD },
  );
  const hub = createHub({ database, log, activity });
  const running = createRunningBatcher(database.db);
  const lifecycle = attachLifecycle(hub, { db: database.db, running, log });
  const options = { intervalMs: 60_000, minuteMs: 60_000 };
  const idleStop = createIdleStop({ ...lifecycle, hub, activity }, options);
  const otherIdleStop = createIdleStop({ ...lifecycle, hub, activity }, options);
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
  });
  hub.start();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await hub.stop();
    await activity.stop();
    await app.close();
  });
  const server = { url, database, adminToken, hub, activity, idleStop, lifecycle, otherIdleStop };
  await liftRateLimits(server);
  return server;
}

/** Enrolls a host through the real enroll route and connects a peer that keeps heartbeating. */
export async function onlineHost(
  t: Test,
  server: IdleServer,
  hostName: string,
): Promise<{ peer: AgentPeer; hostId: string }> {
  const { token } = await createJoinToken(server.database.db, { createdBy: null });
  const enrolled = await call(server, 'POST', '/api/v1/agent/enroll', {
    token,
    json: { host_name: hostName, agent_version: '0.1.0', protocol_version: 1 },
  });
  if (enrolled.status !== 201) throw new Error(`enroll answered ${enrolled.status}`);
  const peer = await AgentPeer.connect(server.url, enrolled.body.credential as string);
  t.teardown(() => peer.ws.terminate());
  await peer.hello({ hostName });
  peer.keepAlive();
  return { peer, hostId: enrolled.body.host_id as string };
}
