// Shared set-up for the benchmarks that need a real control plane process: a throwaway Postgres
// cluster and database (test/helpers/postgres-cluster.ts), the control plane and agents spawned by
// test/helpers/processes.ts, and a small REST client. Cleanup runs in reverse order of set-up.
// What is measured, and how, is each benchmark's own business.
import pg from 'pg';
import type { Test } from 'tap';
import type { z } from 'zod';
import { JoinTokenCreated } from '@rexec/protocol';
import { startCluster, stopCluster } from '../test/helpers/postgres-cluster.js';
import { callApi } from '../test/helpers/rest.js';
import {
  startAgent,
  startControlPlane,
  type Agent,
  type ControlPlane,
} from '../test/helpers/processes.js';

/**
 * Collects cleanup steps and runs them newest first. The process helpers only ever call
 * `teardown` on the tap Test they are given, so this stands in for one outside a tap run.
 */
export class Teardowns {
  #steps: (() => unknown)[] = [];

  teardown(step: () => unknown): void {
    this.#steps.push(step);
  }

  /** The shape the test helpers accept; they use nothing but teardown(). */
  asTest(): Test {
    return this as unknown as Test;
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        console.error('cleanup step failed:', error);
      }
    }
  }
}

export interface BenchControlPlane {
  controlPlane: ControlPlane;
  databaseUrl: string;
  /** The cluster's data directory; its postmaster.pid names the server process. */
  pgData: string;
  /** Calls the API with `token` (the admin's by default); a non-2xx answer throws with its body. */
  api<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<z.infer<S>>;
  /** Starts a real agent process joined with a fresh join token. */
  joinAgent(hostName: string, env: Record<string, string>): Promise<Agent>;
}

/** Calls `base`/api/v1`path` (the suites' REST caller, shared). */
export const call = callApi;

/** A Postgres cluster, a database on it and a control plane process using it. */
export interface BenchOptions {
  /** The control plane reaches Postgres over its Unix socket instead of TCP on 127.0.0.1. */
  unixSocket?: boolean;
  /** Runs the built dist/ JavaScript, as `npm start` does (`npm run build` first), not the sources. */
  built?: boolean;
}

export async function startBenchControlPlane(
  cleanup: Teardowns,
  env: Record<string, string> = {},
  options: BenchOptions = {},
): Promise<BenchControlPlane> {
  const cluster = await startCluster();
  cleanup.teardown(() => stopCluster(cluster));
  const name = `rexec_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();

  // The cluster also listens on a Unix socket in its directory: the control plane may use it.
  const socketUrl = new URL(url);
  socketUrl.searchParams.set('host', cluster.baseDir);
  const controlPlaneUrl = options.unixSocket === true ? socketUrl.toString() : databaseUrl;

  const t = cleanup.asTest();
  const controlPlane = await startControlPlane(t, {
    env: { REXEC_DATABASE_URL: controlPlaneUrl, ...env },
    built: options.built === true,
  });

  const api: BenchControlPlane['api'] = async (schema, method, path, body, token) => {
    const answer = await call(
      controlPlane.url,
      token ?? controlPlane.adminToken,
      method,
      path,
      body,
    );
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return schema.parse(answer.body);
  };

  return {
    controlPlane,
    databaseUrl,
    pgData: cluster.pgData,
    api,
    async joinAgent(hostName, agentEnv) {
      const join = await api(JoinTokenCreated, 'POST', '/hosts/join-tokens', {});
      return startAgent(t, {
        url: controlPlane.url,
        joinToken: join.token,
        hostName,
        env: agentEnv,
      });
    },
  };
}

/** p-th percentile (0–100) of `values` by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
