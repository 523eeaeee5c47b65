// What Postgres itself says during bench/placement.ts, each on a connection of its own: that no
// host is over-reserved and every reservation matches its containers, how many transactions
// committed and commands were relayed, and how many containers run.
import pg from 'pg';
import type { Teardowns } from './control-plane.js';

export interface HostCheck {
  hosts: number;
  hostsUsed: number;
  maxOnOneHost: number;
  overCapacity: number;
  reservedMismatch: number;
}

/**
 * Reads every host's capacity and reserved columns and the live reservations placed on it. A host
 * is over when its CPU reservations pass `cpuOvercommit` × its CPU capacity (the control plane's
 * REXEC_CPU_OVERCOMMIT) or its memory or disk reservations pass its capacity.
 */
export async function checkReservations(
  databaseUrl: string,
  cpuOvercommit: number,
): Promise<HostCheck> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      over: boolean;
      mismatch: boolean;
      placed: string;
    }>(
      `
      select
        (h.reserved_cpu_millicores > floor(h.capacity_cpu_millicores * $1::numeric)
          or h.reserved_memory_mb > h.capacity_memory_mb
          or h.reserved_disk_mb > h.capacity_disk_mb) as over,
        (h.reserved_cpu_millicores <> coalesce(sum(c.cpu_millicores), 0)
          or h.reserved_memory_mb <> coalesce(sum(c.memory_mb), 0)
          or h.reserved_disk_mb <> coalesce(sum(c.disk_mb), 0)) as mismatch,
        count(c.id) as placed
      from hosts h
      left join containers c on c.host_id = h.id and c.deleted_at is null
      group by h.id`,
      [cpuOvercommit],
    );
    const placed = rows.map((row) => Number(row.placed));
    return {
      hosts: rows.length,
      hostsUsed: placed.filter((count) => count > 0).length,
      maxOnOneHost: Math.max(0, ...placed),
      overCapacity: rows.filter((row) => row.over).length,
      reservedMismatch: rows.filter((row) => row.mismatch).length,
    };
  } finally {
    await client.end();
  }
}

export interface Counters {
  /** Committed transactions in the benchmark's database. */
  commits: number;
  /** Commands written for the relay (a replica's command for a host another replica holds). */
  relayed: number;
}

/** Counters of the benchmark's database so far (Postgres statistics, ~0.5 s late). */
export async function counters(databaseUrl: string): Promise<Counters> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ commits: string; relayed: string }>(
      `select
        (select xact_commit from pg_stat_database where datname = current_database()) as commits,
        (select coalesce(sum(n_tup_ins), 0) from pg_stat_user_tables
          where relname = 'relayed_commands') as relayed`,
    );
    return { commits: Number(rows[0]?.commits ?? 0), relayed: Number(rows[0]?.relayed ?? 0) };
  } finally {
    await client.end();
  }
}

/** A counter of running containers on its own connection; `cleanup` closes the connection. */
export async function countRunning(
  databaseUrl: string,
  cleanup: Teardowns,
): Promise<() => Promise<number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  cleanup.teardown(() => client.end());
  return async () => {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from containers where status = 'running' and deleted_at is null`,
    );
    return Number(rows[0]?.n ?? 0);
  };
}
