// Two replicas on one Postgres sharing REXEC_CLUSTER_SECRET, with the agent's socket on B (the
// holder) and the user's calls on A (the fleet's own control plane), one busybox running: what the
// forwarding suites start from. setHolderUrl rewrites B's advertised URL in `replicas`, to make it
// unreachable and back (B rewrites its row every 10 s; requests follow a change at once).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import type { Container } from '@rexec/protocol';
import { startControlPlane, type ControlPlane } from '../helpers/processes.js';
import { startFleet, type Fleet } from './fleet.js';

export interface ReplicaPair {
  fleet: Fleet;
  holder: ControlPlane;
  secret: string;
  box: Container;
  hostId: string;
  setHolderUrl(url: string): Promise<void>;
}

export async function startReplicaPair(t: Test, hostName: string): Promise<ReplicaPair> {
  const secret = randomBytes(32).toString('hex');
  const fleet = await startFleet(t, { env: { REXEC_CLUSTER_SECRET: secret } });
  const holder = await startControlPlane(t, {
    env: {
      REXEC_DATABASE_URL: fleet.databaseUrl,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
      REXEC_CLUSTER_SECRET: secret,
    },
  });
  const { hostId } = await fleet.joinAgent(hostName, { REXEC_URL: holder.url });
  const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
  await fleet.containerStatus(box.id, 'running', 60_000);
  const db = new pg.Client({ connectionString: fleet.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  return {
    fleet,
    holder,
    secret,
    box,
    hostId,
    async setHolderUrl(url) {
      await db.query(
        `update replicas set advertise_url = $1
         where id = (select connected_replica from hosts where id = $2)`,
        [url, hostId],
      );
    },
  };
}
