// Which control plane processes are alive, told by Postgres itself: each process holds a session
// advisory lock named after its random replica id on a connection of its own for as long as it
// runs, so a process killed without warning (SIGKILL, a crashed machine) loses its lock the moment
// Postgres sees its connection go. Hosts record the replica holding their socket; a host `online`
// under a replica whose lock is gone is not connected anywhere and is marked unreachable at once,
// instead of after the silence timeout. The embedded database (PGlite) has one process by
// construction, so there every other replica id is gone. Marking hosts is host-presence.ts's job.
import { randomBytes } from 'node:crypto';
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import type { Database } from '../db/open.js';
import type { Log } from './log.js';

/** The advisory lock key of a replica id, computed the same way in SQL (host-presence.ts). */
export const REPLICA_LOCK_PREFIX = 'rexec-replica:';

export interface ReplicaPresence {
  readonly replicaId: string;
  /** Whether other replicas' liveness can be read from Postgres locks (false: embedded, alone). */
  readonly sharedDatabase: boolean;
  /** Takes (or takes again, after a lost connection) this replica's lock; idempotent. */
  claim(): Promise<void>;
  /** Whether the lock is held now. */
  readonly holding: boolean;
  release(): Promise<void>;
}

/**
 * SQL that is true when the replica named by `replicaId` (a text column) does not hold its presence
 * lock: it died, or never ran. Only meaningful on a shared Postgres (the embedded one has no
 * other process).
 */
export function replicaLockGone(replicaId: AnyColumn): SQL {
  const key = sql`hashtextextended(${REPLICA_LOCK_PREFIX} || ${replicaId}, 0)`;
  return sql`not exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted
    and l.objsubid = 1
    and l.database = (select oid from pg_database where datname = current_database())
    and l.classid = ((${key} >> 32) & 4294967295)::oid
    and l.objid = (${key} & 4294967295)::oid)`;
}

export function newReplicaId(): string {
  return `rpl_${randomBytes(12).toString('hex')}`;
}

export function createReplicaPresence(
  database: Database,
  log: Log,
  replicaId: string = newReplicaId(),
): ReplicaPresence {
  const pool = database.pool;
  let client: pg.PoolClient | null = null;
  let claiming: Promise<void> | null = null;

  async function take(from: pg.Pool): Promise<void> {
    const taken = await from.connect();
    taken.on('error', (error) => {
      // The lock went with the connection; the hub's next sweep claims it again.
      log.warn({ err: error, replica_id: replicaId }, 'lost the replica presence connection');
      if (client === taken) client = null;
      taken.release(true);
    });
    try {
      await taken.query('select pg_advisory_lock(hashtextextended($1, 0))', [
        REPLICA_LOCK_PREFIX + replicaId,
      ]);
    } catch (error) {
      taken.release(true);
      throw new Error('cannot take the replica presence lock', { cause: error });
    }
    client = taken;
  }

  return {
    replicaId,
    sharedDatabase: pool !== undefined,
    get holding() {
      return pool === undefined || client !== null;
    },
    claim() {
      if (pool === undefined || client !== null) return Promise.resolve();
      claiming ??= take(pool).finally(() => {
        claiming = null;
      });
      return claiming;
    },
    release() {
      const held = client;
      client = null;
      // Destroying the connection releases the lock; the pool must not reuse a locked session.
      held?.release(true);
      return Promise.resolve();
    },
  };
}
