// The hosts table as the hub sees it: a HELLO marks a host online with what it reported (capacity,
// runtime, how it enforces limits, its health checks), silence or a closed socket marks it
// unreachable, heartbeats refresh last_seen_at. A HELLO with a failed required check moves an
// `active` host to `unhealthy` (no work is placed there) and a clean one moves it back. Each change
// gets an events row; what happens to the host's containers is the lifecycle's business.
import { and, eq, inArray, isNotNull, lt, ne, notInArray, or, isNull, sql } from 'drizzle-orm';
import type { AgentHello, RuntimeInfo } from '@rexec/protocol';
import type { Db } from '../db/open.js';
import { hostCredentials } from '../db/schema/host-credentials.js';
import { hosts, type HostEnforcement } from '../db/schema/hosts.js';
import { recordEvent } from '../services/events.js';
import { failedRequiredChecks, schedulingAfterHello } from '../services/host-health.js';
import { capCapacity, type CapacityClaim } from './capacity-claim.js';
import { replicaLockGone } from './replica-presence.js';

/** The columns are int4; an agent may report more disk than that (the schema allows 2^40 MB). */
const MAX_INT4 = 2_147_483_647;

export type UnreachableReason =
  | 'heartbeat_timeout'
  | 'connection_closed'
  | 'agent_shutdown'
  | 'not_seen'
  | 'credential_revoked'
  | 'replica_gone';

/**
 * `replicaId`: the process holding the socket (replica-presence.ts); null when not tracked.
 * Returns what was claimed and stored: capacity above the agent's own measurement is capped.
 */
export async function markOnline(
  db: Db,
  hostId: string,
  hello: AgentHello,
  replicaId: string | null = null,
): Promise<CapacityClaim> {
  const claim = capCapacity(hello);
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ status: hosts.status, scheduling: hosts.scheduling })
      .from(hosts)
      .where(eq(hosts.id, hostId))
      .for('update');
    if (before === undefined) throw new Error(`host ${hostId} vanished during its handshake`);
    const failed = failedRequiredChecks(hello.health);
    const scheduling = schedulingAfterHello(before.scheduling, failed.length > 0);
    await tx
      .update(hosts)
      .set({
        status: 'online',
        name: hello.host_name,
        capacityCpuMillicores: Math.min(claim.capacity.cpu_millicores, MAX_INT4),
        capacityMemoryMb: Math.min(claim.capacity.memory_mb, MAX_INT4),
        capacityDiskMb: Math.min(claim.capacity.disk_mb, MAX_INT4),
        runtimeKind: hello.runtime.kind,
        runtimeVersion: hello.runtime.version,
        agentVersion: hello.agent_version,
        enforcement: enforcementOf(hello.runtime),
        health: hello.health ?? null,
        scheduling,
        connectedReplica: replicaId,
        lastSeenAt: new Date(),
      })
      .where(eq(hosts.id, hostId));
    if (scheduling !== before.scheduling) {
      await recordEvent(tx, {
        type: scheduling === 'unhealthy' ? 'host.unhealthy' : 'host.healthy',
        hostId,
        reason: 'hello',
        detail: {
          from: before.scheduling,
          to: scheduling,
          ...(failed.length === 0
            ? {}
            : { failed: failed.map((c) => ({ check: c.check, message: c.message })) }),
        },
      });
    }
    if (claim.capped.length > 0) {
      await recordEvent(tx, {
        type: 'host.capacity_capped',
        hostId,
        reason: 'above_measurement',
        detail: {
          resources: claim.capped,
          claimed: hello.capacity,
          measured: hello.measured_capacity,
        },
      });
    }
    if (before.status !== 'online') {
      await recordEvent(tx, {
        type: 'host.online',
        hostId,
        reason: 'hello',
        detail: { agent_version: hello.agent_version, instance_id: hello.instance_id },
      });
    }
  });
  return claim;
}

/**
 * An agent that does not mention isolation or user namespaces does not provide them: shown as off,
 * not unknown.
 */
export function enforcementOf(runtime: RuntimeInfo): HostEnforcement {
  return {
    disk: runtime.disk_enforcement,
    ...(runtime.disk_check_seconds === undefined
      ? {}
      : { disk_check_seconds: runtime.disk_check_seconds }),
    network_shaping: runtime.network_shaping,
    network_isolation: runtime.network_isolation ?? false,
    ...(runtime.enforcement_detail === undefined ? {} : { detail: runtime.enforcement_detail }),
    user_namespaces: runtime.user_namespaces ?? false,
    ...(runtime.user_namespaces_detail === undefined
      ? {}
      : { user_namespaces_detail: runtime.user_namespaces_detail }),
  };
}

/**
 * Only an online host changes (and gets an event), so repeated losses record one event. The event
 * is written with the change: whoever sees the host unreachable finds its event too.
 */
export async function markUnreachable(
  db: Db,
  hostId: string,
  reason: UnreachableReason,
): Promise<void> {
  await db.transaction(async (tx) => {
    const changed = await tx
      .update(hosts)
      .set({ status: 'unreachable', connectedReplica: null })
      .where(and(eq(hosts.id, hostId), eq(hosts.status, 'online')))
      .returning({ id: hosts.id });
    if (changed.length > 0) await recordEvent(tx, { type: 'host.unreachable', hostId, reason });
  });
}

/**
 * One statement for every host heard from since the last call (the hub batches heartbeats).
 * Returns those among them that may no longer be connected: their credential was revoked or the
 * host removed, perhaps by another replica, which could not close this replica's session itself.
 */
export async function touchHosts(db: Db, hostIds: readonly string[]): Promise<string[]> {
  if (hostIds.length === 0) return [];
  const touched = await db
    .update(hosts)
    .set({ lastSeenAt: new Date() })
    .where(
      and(
        inArray(hosts.id, [...hostIds]),
        sql`exists (select 1 from ${hostCredentials} c
                    where c.host_id = ${hosts.id} and c.revoked_at is null)`,
      ),
    )
    .returning({ id: hosts.id });
  const admitted = new Set(touched.map((row) => row.id));
  return hostIds.filter((id) => !admitted.has(id));
}

/**
 * Hosts still `online` that no replica has heard from since `cutoff` (a replica that crashed left
 * them so) and that this replica does not serve: unreachable, with an event each.
 */
export async function sweepSilentHosts(
  db: Db,
  cutoff: Date,
  servedHostIds: string[],
): Promise<void> {
  const conditions = [
    eq(hosts.status, 'online'),
    or(isNull(hosts.lastSeenAt), lt(hosts.lastSeenAt, cutoff)),
  ];
  if (servedHostIds.length > 0) conditions.push(notInArray(hosts.id, servedHostIds));
  const silent = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(and(...conditions));
  for (const { id } of silent) await markUnreachable(db, id, 'not_seen');
}

/**
 * Hosts still `online` under another replica that no longer holds its presence lock (it died, or
 * with the embedded database: any other process, since only one can open it): not connected
 * anywhere, so unreachable now rather than after the silence sweep.
 */
export async function sweepOrphanedHosts(
  db: Db,
  self: { replicaId: string; sharedDatabase: boolean },
  servedHostIds: string[],
): Promise<void> {
  const lockGone = self.sharedDatabase ? replicaLockGone(hosts.connectedReplica) : sql`true`;
  const conditions = [
    eq(hosts.status, 'online'),
    isNotNull(hosts.connectedReplica),
    ne(hosts.connectedReplica, self.replicaId),
    lockGone,
  ];
  if (servedHostIds.length > 0) conditions.push(notInArray(hosts.id, servedHostIds));
  const orphaned = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(and(...conditions));
  for (const { id } of orphaned) await markUnreachable(db, id, 'replica_gone');
}

/**
 * The hosts this replica serves are online under it, whatever another replica's sweep wrote while
 * this one could not prove it was alive (its lock connection dropped with a database restart).
 */
export async function reassertServedHosts(
  db: Db,
  replicaId: string,
  servedHostIds: string[],
): Promise<void> {
  if (servedHostIds.length === 0) return;
  await db.transaction(async (tx) => {
    const drifted = await tx
      .update(hosts)
      .set({ status: 'online', connectedReplica: replicaId })
      .where(
        and(
          inArray(hosts.id, servedHostIds),
          or(
            ne(hosts.status, 'online'),
            isNull(hosts.connectedReplica),
            ne(hosts.connectedReplica, replicaId),
          ),
        ),
      )
      .returning({ id: hosts.id });
    for (const { id } of drifted) {
      await recordEvent(tx, { type: 'host.online', hostId: id, reason: 'reasserted' });
    }
  });
}
