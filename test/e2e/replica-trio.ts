// Three control plane replicas on one Postgres sharing REXEC_CLUSTER_SECRET: A is the fleet's own
// control plane, B and C run beside it on its database and admin token. Each replica comes with a
// REST caller on it, so a suite can send every call through the replica it chooses. The admin
// tier's rate limits are raised before B and C start: all three replicas count one admin's calls in
// the shared database, and a suite that polls through each of them would run out.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import { Me, Tier } from '@rexec/protocol';
import { engine, type EngineKind } from '../helpers/engine.js';
import { startControlPlane, type ControlPlane } from '../helpers/processes.js';
import { callApi, type ApiAnswer } from '../helpers/rest.js';
import { startFleet, type Fleet } from './fleet.js';

export interface Replica {
  name: 'A' | 'B' | 'C';
  plane: ControlPlane;
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

export interface ReplicaTrio {
  fleet: Fleet;
  replicas: readonly [Replica, Replica, Replica];
  /** The advertised URL of the replica holding the host's agent socket; null when none does. */
  holderOf(hostId: string): Promise<string | null>;
  /** A statement on the fleet's database (what only time or the database itself would change). */
  query(text: string, values: unknown[]): Promise<pg.QueryResult>;
}

function replica(name: Replica['name'], plane: ControlPlane): Replica {
  return {
    name,
    plane,
    api: (method, path, body) => callApi(plane.url, plane.adminToken, method, path, body),
  };
}

export async function startReplicaTrio(t: Test): Promise<ReplicaTrio> {
  const secret = randomBytes(32).toString('hex');
  const fleet = await startFleet(t, { env: { REXEC_CLUSTER_SECRET: secret } });
  const { tier } = await fleet.apiAs(Me, 'GET', '/me');
  const many = 100_000;
  await fleet.apiAs(Tier, 'PATCH', `/tiers/${tier.name}`, {
    rate_limits: { create_per_minute: many, operations_per_minute: many, list_per_minute: many },
  });
  const shared = {
    REXEC_DATABASE_URL: fleet.databaseUrl,
    REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
    REXEC_CLUSTER_SECRET: secret,
  };
  const [b, c] = await Promise.all([
    startControlPlane(t, { env: shared }),
    startControlPlane(t, { env: shared }),
  ]);
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  return {
    fleet,
    replicas: [replica('A', fleet.controlPlane), replica('B', b), replica('C', c)],
    async holderOf(hostId) {
      const { rows } = await db.query<{ advertise_url: string }>(
        `select r.advertise_url from hosts h join replicas r on r.id = h.connected_replica
         where h.id = $1`,
        [hostId],
      );
      return rows[0]?.advertise_url ?? null;
    },
    query: (text, values) => db.query(text, values),
  };
}

/** The engine's states (`running`, `exited`, …) of the containers labelled with `id`: '' for none. */
export async function engineStates(kind: EngineKind, id: string): Promise<string> {
  const filter = `label=io.rexec.container-id=${id}`;
  const ids = (await engine(kind, ['ps', '-a', '-q', '--filter', filter])).stdout.trim();
  if (ids === '') return '';
  const states = await engine(kind, ['inspect', '-f', '{{.State.Status}}', ...ids.split('\n')]);
  return states.stdout.trim();
}
