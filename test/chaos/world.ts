// The system a chaos trial breaks: its own Postgres cluster (so an outage touches no other suite),
// one control plane process on a fixed port, agents that reach it only through a severable TCP
// proxy, and the fault primitives (kill -9, restart, database down and up, link cut and restored).
// Choosing faults is faults.ts's job; judging the result is invariants.ts's.
import pg from 'pg';
import type { Test } from 'tap';
import { JoinTokenCreated } from '@rexec/protocol';
import { removeTestHost, type EngineKind } from '../helpers/engine.js';
import { freePort } from '../helpers/net.js';
import {
  pauseCluster,
  resumeCluster,
  startCluster,
  stopCluster,
  type ClusterInfo,
} from '../helpers/postgres-cluster.js';
import {
  startAgent,
  startControlPlane,
  type Agent,
  type ControlPlane,
} from '../helpers/processes.js';
import { callApi, type ApiAnswer } from '../helpers/rest.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface ChaosHost {
  name: string;
  hostId: string;
  agent: Agent;
  proxy: TcpProxy;
}

export interface World {
  kind: EngineKind;
  databaseUrl: string;
  readonly controlPlane: ControlPlane;
  readonly hosts: readonly ChaosHost[];
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /**
   * A new client on the world's database, for the caller to end (the invariants read Postgres,
   * never the rate-limited API).
   */
  db(): Promise<pg.Client>;
  killControlPlane(): Promise<void>;
  killAgent(host: ChaosHost): Promise<void>;
  stopDatabase(): Promise<void>;
  startDatabase(): Promise<void>;
  /**
   * Brings back whatever is down (the database first, then every link, the control plane and each
   * agent), as systemd's Restart= would a process that died; returns what had to be restarted.
   */
  recover(): Promise<string[]>;
  /** Stops every process, removes what the hosts left in the engine, and the cluster. */
  close(): Promise<void>;
}

const isRunning = (process: { process: { exitCode: number | null; signalCode: unknown } }) =>
  process.process.exitCode === null && process.process.signalCode === null;

async function createDatabase(cluster: ClusterInfo): Promise<string> {
  const name = `rexec_chaos_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts the world on `t` (a tap Test, or the benchmarks' Teardowns as one) with `hostCount`
 * agents named `<prefix>-<n>`. `env` adds control plane settings.
 */
export async function startWorld(
  t: Test,
  opts: { kind: EngineKind; hostCount: number; prefix: string; env?: Record<string, string> },
): Promise<World> {
  const cluster = await startCluster();
  let databaseUp = true;
  let closed = false;
  const hosts: ChaosHost[] = [];
  const close = async () => {
    if (closed) return;
    closed = true;
    // Every step is tried whatever an earlier one did, and the cluster goes last in any case: a
    // failed agent stop once left the cluster running.
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        console.error(`chaos world: could not ${what}:`, error);
      }
    };
    try {
      for (const host of hosts)
        await attempt(`kill ${host.name}`, () => host.agent.stop('SIGKILL'));
      // Agents leave their containers by design: whatever they made goes with them, kill -9 or not.
      for (const host of hosts) {
        await attempt(`clean ${host.name}`, () => removeTestHost(opts.kind, host.hostId));
      }
      await attempt('stop the control plane', () => controlPlane.stop());
      for (const host of hosts)
        await attempt(`close ${host.name}'s link`, () => host.proxy.close());
    } finally {
      stopCluster(cluster);
    }
  };
  t.teardown(close);

  const databaseUrl = await createDatabase(cluster);
  const port = await freePort();
  const env = { REXEC_DATABASE_URL: databaseUrl, REXEC_PORT: String(port), ...opts.env };
  let controlPlane = await startControlPlane(t, { env });
  const adminToken = controlPlane.adminToken;
  const restartControlPlane = async () => {
    controlPlane = await startControlPlane(t, {
      env: { ...env, REXEC_BOOTSTRAP_ADMIN_TOKEN: adminToken },
    });
  };
  const api: World['api'] = (method, path, body) =>
    callApi(controlPlane.url, adminToken, method, path, body);

  const launchAgent = (
    host: Omit<ChaosHost, 'agent' | 'hostId'>,
    stateDir?: string,
    joinToken?: string,
  ) =>
    startAgent(t, {
      url: `http://127.0.0.1:${host.proxy.port}`,
      hostName: host.name,
      ...(stateDir === undefined ? {} : { stateDir }),
      ...(joinToken === undefined ? {} : { joinToken }),
      env: { REXEC_RUNTIME: opts.kind },
    });

  for (let n = 1; n <= opts.hostCount; n += 1) {
    const join = await api('POST', '/hosts/join-tokens', {});
    const { token } = JoinTokenCreated.parse(join.body);
    const proxy = await startTcpProxy(port);
    const name = `${opts.prefix}-${n}`;
    const agent = await launchAgent({ name, proxy }, undefined, token);
    const idOf = await agentHostId(databaseUrl, name);
    hosts.push({ name, proxy, agent, hostId: idOf });
  }

  return {
    kind: opts.kind,
    databaseUrl,
    get controlPlane() {
      return controlPlane;
    },
    hosts,
    api,
    async db() {
      const client = new pg.Client({ connectionString: databaseUrl });
      client.on('error', () => undefined); // a client cut by an outage is simply reopened
      await client.connect();
      return client;
    },
    async killControlPlane() {
      await controlPlane.stop('SIGKILL');
    },
    async killAgent(host) {
      await host.agent.stop('SIGKILL');
    },
    async stopDatabase() {
      databaseUp = false;
      await pauseCluster(cluster);
    },
    async startDatabase() {
      await resumeCluster(cluster);
      databaseUp = true;
    },
    async recover() {
      const restarted: string[] = [];
      if (!databaseUp) {
        await resumeCluster(cluster);
        databaseUp = true;
        restarted.push('database');
      }
      for (const host of hosts) host.proxy.restore();
      if (!isRunning(controlPlane)) {
        await restartControlPlane();
        restarted.push('control plane');
      }
      for (const host of hosts) {
        if (isRunning(host.agent)) continue;
        host.agent = await launchAgent(host, host.agent.stateDir);
        restarted.push(`agent ${host.name}`);
      }
      return restarted;
    },
    close,
  };
}

/** The id of the host that enrolled as `name` (one per world, so names are unique). */
async function agentHostId(databaseUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found = await client.query<{ id: string }>('select id from hosts where name = $1', [
      name,
    ]);
    const id = found.rows[0]?.id;
    if (id === undefined) throw new Error(`agent ${name} connected but no host row names it`);
    return id;
  } finally {
    await client.end();
  }
}
