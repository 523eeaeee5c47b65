// Hosts gone for good: a timer that finds hosts unreachable for longer than
// REXEC_HOST_LOST_AFTER_HOURS and marks their containers `error`/`host_lost` (pending deletes are
// finished), giving back their host reservations and their owners' quota in one transaction.
// Bringing them back when the host says HELLO again is host-return.ts's; removing a host on an
// admin's word is host-removal.ts's.
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';
import { HOST_GONE_REASONS } from '../db/schema/containers.js';
import { hosts } from '../db/schema/hosts.js';
import { recordEvent } from '../services/events.js';
import { createPeriodicPass } from '../periodic-pass.js';
import type { LifecycleDeps } from './actions.js';

export const DEFAULT_HOST_LOST_AFTER_HOURS = 24;
/** The sweep's period; a threshold shorter than this (tests) is swept every half threshold. */
export const HOST_LOSS_INTERVAL_MS = 60_000;

export interface HostLossReaper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now (the timer calls this; tests too): the number of containers it marked lost. */
  sweepOnce(): Promise<number>;
}

export interface HostLossOptions {
  /** How long a host may be unreachable before its containers are lost (REXEC_HOST_LOST_AFTER_HOURS). */
  lostAfterMs: number;
  intervalMs?: number;
}

export function createHostLossReaper(
  deps: LifecycleDeps,
  options: HostLossOptions,
): HostLossReaper {
  const intervalMs =
    options.intervalMs ??
    Math.max(1_000, Math.min(HOST_LOSS_INTERVAL_MS, Math.floor(options.lostAfterMs / 2)));
  async function sweepOnce(): Promise<number> {
    const cutoff = new Date(Date.now() - options.lostAfterMs);
    const lost = await deps.db
      .select({ id: hosts.id })
      .from(hosts)
      .where(and(eq(hosts.status, 'unreachable'), lt(hosts.lastSeenAt, cutoff)));
    let marked = 0;
    for (const { id } of lost) {
      // Connected here means the row is stale (a HELLO being written): never lose a live host.
      if (deps.hub.isConnected(id)) continue;
      marked += await loseHost(deps.db, id, cutoff);
    }
    return marked;
  }

  const timer = createPeriodicPass(sweepOnce, {
    intervalMs,
    onError: (error) => deps.log.error({ err: error }, 'host loss sweep failed'),
  });
  return { sweepOnce, start: () => timer.start(), stop: () => timer.stop() };
}

interface GoneRow extends Record<string, unknown> {
  id: string;
  from_status: string;
  deleted: boolean;
  cpu: number;
  memory: number;
  disk: number;
}

/**
 * Marks one host's containers lost, if the host is still unreachable since before `cutoff` once
 * its row is locked (a HELLO that won the race keeps them). Returns how many were marked.
 */
async function loseHost(db: Db, hostId: string, cutoff: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const [host] = await tx
      .select({ id: hosts.id })
      .from(hosts)
      .where(
        and(eq(hosts.id, hostId), eq(hosts.status, 'unreachable'), lt(hosts.lastSeenAt, cutoff)),
      )
      .for('update');
    if (host === undefined) return 0;
    const gone = await markGone(tx, hostId, 'host_lost', 'Its host has been unreachable too long.');
    if (gone.length === 0) return 0;
    await releaseReservations(tx, hostId, gone);
    await recordEvent(tx, {
      type: 'host.lost',
      hostId,
      reason: 'host_lost',
      detail: { containers: gone.length },
    });
    return gone.length;
  });
}

/**
 * The host's live containers become `error` with `reason`, except pending deletes, which are
 * finished (soft-deleted): their owner asked for them to go. One events row each. Containers already
 * gone with their host are left out, so a second sweep changes nothing.
 */
export async function markGone(
  tx: Db,
  hostId: string,
  reason: (typeof HOST_GONE_REASONS)[number],
  detail: string,
): Promise<GoneRow[]> {
  const gone = sql.join(
    HOST_GONE_REASONS.map((r) => sql`${r}`),
    sql`, `,
  );
  return selectRows<GoneRow>(
    tx,
    sql`with target as (
          select id, status, status = 'deleting' as deleted from containers
          where host_id = ${hostId} and deleted_at is null
            and not (status = 'error' and coalesce(status_reason, '') in (${gone}))
          for update
        ),
        updated as (
          update containers c set
            status = case when t.deleted then c.status else 'error' end,
            status_reason = case when t.deleted then c.status_reason else ${reason} end,
            status_detail = case when t.deleted then c.status_detail else ${detail} end,
            session_expires_at = null,
            deleted_at = case when t.deleted then now() else null end
          from target t where c.id = t.id
          returning c.id, t.status as from_status, t.deleted, c.cpu_millicores as cpu,
            c.memory_mb as memory, c.disk_mb as disk, c.user_id
        ),
        logged as (
          insert into events (type, container_id, host_id, reason, detail)
          select case when deleted then 'container.deleted' else 'container.error' end,
            id, ${hostId}::text, ${reason}::text, jsonb_build_object('from', from_status)
          from updated
        )
        select id, from_status, deleted, cpu, memory, disk from updated`,
  );
}

/** Gives the host back what `rows` reserved (never below zero). */
export async function releaseReservations(
  tx: Db,
  hostId: string,
  rows: readonly { cpu: number; memory: number; disk: number }[],
): Promise<void> {
  const sum = (key: 'cpu' | 'memory' | 'disk') => rows.reduce((n, row) => n + Number(row[key]), 0);
  await tx
    .update(hosts)
    .set({
      reservedCpuMillicores: sql`greatest(0, ${hosts.reservedCpuMillicores} - ${sum('cpu')})`,
      reservedMemoryMb: sql`greatest(0, ${hosts.reservedMemoryMb} - ${sum('memory')})`,
      reservedDiskMb: sql`greatest(0, ${hosts.reservedDiskMb} - ${sum('disk')})`,
    })
    .where(eq(hosts.id, hostId));
}
