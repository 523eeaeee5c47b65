// Where the replicas on a shared Postgres are reached: each writes its advertise URL to the
// replicas table at start, refreshes it while it runs and deletes it on stop, and finds the URL of
// the live replica holding a host's agent socket when a terminal for that host arrives here
// (terminal/replica-forward.ts). Liveness comes from the presence locks (replica-presence.ts), so
// a row left by a killed replica is never used. Startup says when other replicas run and this one
// has no REXEC_CLUSTER_SECRET, since forwarding between them then fails.
import { and, eq, lt, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/open.js';
import { hosts } from '../db/schema/hosts.js';
import { replicas } from '../db/schema/replicas.js';
import { createPeriodicPass } from '../periodic-pass.js';
import type { Log } from './log.js';
import { replicaLockGone } from './replica-presence.js';

const HEARTBEAT_MS = 10_000;
/** Rows of replicas that are gone and silent this long are deleted by the next replica to start. */
const FORGET_AFTER = '1 hour';

export interface ReplicaRegistry {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The URL of the live replica, not this one, holding the host's agent socket; else undefined. */
  holderOf(hostId: string): Promise<string | undefined>;
}

export function createReplicaRegistry(deps: {
  database: Database;
  replicaId: string;
  advertiseUrl: string;
  clusterSecretSet: boolean;
  log: Log;
}): ReplicaRegistry {
  const { database, replicaId, advertiseUrl, log } = deps;
  const db = database.db;

  async function heartbeat(): Promise<void> {
    await db
      .insert(replicas)
      .values({ id: replicaId, advertiseUrl })
      .onConflictDoUpdate({
        target: replicas.id,
        set: { advertiseUrl, lastSeenAt: sql`now()` },
      });
  }
  const beat = createPeriodicPass(heartbeat, {
    intervalMs: HEARTBEAT_MS,
    unref: true,
    onError: (error) => log.warn({ err: error }, 'could not refresh this replica’s row'),
  });

  return {
    async start() {
      // Beats from now on, so a first write that fails is made good ten seconds later.
      beat.start();
      await heartbeat();
      await db
        .delete(replicas)
        .where(
          and(
            lt(replicas.lastSeenAt, sql`now() - interval '${sql.raw(FORGET_AFTER)}'`),
            replicaLockGone(replicas.id),
          ),
        );
      const others = await db
        .select({ id: replicas.id, url: replicas.advertiseUrl })
        .from(replicas)
        .where(and(ne(replicas.id, replicaId), sql`not ${replicaLockGone(replicas.id)}`));
      if (others.length > 0 && !deps.clusterSecretSet) {
        log.error(
          { replicas: others.map((other) => other.url) },
          'other replicas run on this database but REXEC_CLUSTER_SECRET is not set: terminals for ' +
            'hosts they hold cannot be forwarded to them; set the same secret on every replica',
        );
      }
      log.info({ advertise_url: advertiseUrl, others: others.length }, 'replica registered');
    },
    async stop() {
      await beat.stop();
      await db.delete(replicas).where(eq(replicas.id, replicaId));
    },
    async holderOf(hostId) {
      const [row] = await db
        .select({ url: replicas.advertiseUrl })
        .from(hosts)
        .innerJoin(replicas, eq(replicas.id, hosts.connectedReplica))
        .where(
          and(
            eq(hosts.id, hostId),
            eq(hosts.status, 'online'),
            ne(replicas.id, replicaId),
            sql`not ${replicaLockGone(replicas.id)}`,
          ),
        )
        .limit(1);
      return row?.url;
    },
  };
}
