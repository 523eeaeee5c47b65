// Database rows → API objects, in one place (STYLE 8): camelCase columns become the snake_case wire
// shape, Dates become ISO strings, nulls become absent fields. Response schemas re-check the result
// on the way out, so a row that does not fit the contract is a 500, never a malformed answer.
import type {
  ContainerStats,
  AuditEntry,
  Container,
  Event,
  Host,
  JoinToken,
  JoinTokenCreated,
  Tier,
  Token,
  TokenCreated,
  User,
} from '@rexec/protocol';
import { idleStopAt, type IdleRule } from '../activity/idle-stop-at.js';
import type { AuditLogRow } from '../db/schema/audit-log.js';
import type { ContainerRow } from '../db/schema/containers.js';
import type { HostJoinTokenRow } from '../db/schema/host-join-tokens.js';
import type { HostRow } from '../db/schema/hosts.js';
import type { TierRow } from '../db/schema/tiers.js';
import type { UserRow } from '../db/schema/users.js';
import { schedulableOf } from '../scheduler/cpu-overcommit.js';
import type { ContainerWithStats } from '../services/container-stats.js';
import type { EventRecord } from '../services/event-reads.js';
import type { CreatedJoinToken } from '../services/hosts.js';
import type { CreatedToken, TokenSummary } from '../services/tokens.js';

const iso = (date: Date | null): string | undefined => date?.toISOString();
const present = <T>(value: T | null): T | undefined => value ?? undefined;

/** `idle` is the owner's tier's rule, for idle_stop_at. */
export function toContainer(row: ContainerRow, idle: IdleRule): Container {
  return {
    id: row.id,
    name: row.name,
    image: row.image as Container['image'],
    custom_image: present(row.customImage),
    role: row.role as Container['role'],
    status: row.status,
    status_reason: present(row.statusReason),
    host_id: present(row.hostId),
    resources: {
      cpu_millicores: row.cpuMillicores,
      memory_mb: row.memoryMb,
      disk_mb: row.diskMb,
      network_mbps: row.networkMbps,
    },
    network: { egress: row.networkEgress },
    created_at: row.createdAt.toISOString(),
    started_at: iso(row.startedAt),
    stopped_at: iso(row.stoppedAt),
    session_expires_at: iso(row.sessionExpiresAt),
    idle_stop_at: idleStopAt(row, idle)?.toISOString() ?? null,
    usage:
      row.diskUsedMb === null || row.usageMeasuredAt === null
        ? undefined
        : { disk_mb: row.diskUsedMb, measured_at: row.usageMeasuredAt.toISOString() },
  };
}

const MIB = 1024 * 1024;

/**
 * A sample counts while the container runs and only if taken since it last started: a stopped
 * container's old figures would read as current. Disk and the limits are shown regardless.
 */
export function toContainerStats({ container, stats }: ContainerWithStats): ContainerStats {
  const current =
    stats !== null &&
    container.status === 'running' &&
    (container.startedAt === null || stats.sampledAt >= container.startedAt)
      ? stats
      : null;
  return {
    cpu_percent: current?.cpuMillicores == null ? null : current.cpuMillicores / 10,
    memory_bytes: current?.memoryBytes ?? null,
    memory_limit_bytes: current?.memoryLimitBytes ?? container.memoryMb * MIB,
    disk_used_mb: container.diskUsedMb,
    disk_limit_mb: container.diskMb,
    net_rx_bytes: current?.netRxBytes ?? null,
    net_tx_bytes: current?.netTxBytes ?? null,
    pids: current?.pids ?? null,
    at: current === null ? null : current.sampledAt.toISOString(),
  };
}

export function toTier(row: TierRow): Tier {
  return {
    name: row.name,
    cpu_millicores: row.cpuMillicores,
    memory_mb: row.memoryMb,
    disk_mb: row.diskMb,
    network_mbps: row.networkMbps,
    default_resources: {
      cpu_millicores: row.defaultCpuMillicores,
      memory_mb: row.defaultMemoryMb,
      disk_mb: row.defaultDiskMb,
      network_mbps: row.defaultNetworkMbps,
    },
    network_egress: row.networkEgress,
    max_containers: row.maxContainers,
    session_hours: row.sessionHours,
    idle_stop_minutes: row.idleStopMinutes,
    rate_limits: {
      create_per_minute: row.rateCreatePerMin,
      operations_per_minute: row.rateOpsPerMin,
      list_per_minute: row.rateListPerMin,
    },
  };
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    email: present(row.email),
    tier: row.tier,
    is_admin: row.isAdmin,
    disabled: row.disabledAt !== null,
    created_at: row.createdAt.toISOString(),
  };
}

export function toToken(row: TokenSummary): Token {
  return {
    id: row.id,
    name: row.name,
    token_prefix: row.tokenPrefix,
    scopes: row.scopes,
    created_at: row.createdAt.toISOString(),
    expires_at: iso(row.expiresAt),
    last_used_at: iso(row.lastUsedAt),
  };
}

export function toTokenCreated(created: CreatedToken): TokenCreated {
  return {
    ...created,
    created_at: created.created_at.toISOString(),
    expires_at: iso(created.expires_at),
  };
}

/** `cpuOvercommitPercent` is the scheduler's: `schedulable` says what placement allows. */
export function toHost(row: HostRow, cpuOvercommitPercent: number): Host {
  const capacity = {
    cpuMillicores: row.capacityCpuMillicores,
    memoryMb: row.capacityMemoryMb,
    diskMb: row.capacityDiskMb,
  };
  const schedulable = schedulableOf(capacity, cpuOvercommitPercent);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    scheduling: row.scheduling,
    capacity: {
      cpu_millicores: row.capacityCpuMillicores,
      memory_mb: row.capacityMemoryMb,
      disk_mb: row.capacityDiskMb,
    },
    schedulable: {
      cpu_millicores: schedulable.cpuMillicores,
      memory_mb: schedulable.memoryMb,
      disk_mb: schedulable.diskMb,
    },
    reserved: {
      cpu_millicores: row.reservedCpuMillicores,
      memory_mb: row.reservedMemoryMb,
      disk_mb: row.reservedDiskMb,
    },
    runtime:
      row.runtimeKind === null
        ? undefined
        : { kind: row.runtimeKind, version: row.runtimeVersion ?? 'unknown' },
    enforcement: present(row.enforcement),
    network_isolation: row.enforcement?.network_isolation === true,
    trusted: row.trusted,
    user_namespaces: row.enforcement?.user_namespaces ?? false,
    storage:
      row.storageFreeMb === null ? undefined : { free_mb: row.storageFreeMb, low: row.storageLow },
    agent_version: present(row.agentVersion),
    health: present(row.health),
    last_seen_at: iso(row.lastSeenAt),
    ...(row.quarantined.length === 0 ? {} : { quarantined: row.quarantined }),
    created_at: row.createdAt.toISOString(),
  };
}

export function toJoinTokenCreated(created: CreatedJoinToken): JoinTokenCreated {
  return { id: created.id, token: created.token, expires_at: created.expires_at.toISOString() };
}

export function toJoinToken(row: HostJoinTokenRow, now = new Date()): JoinToken {
  const status = row.usedAt !== null ? 'used' : row.expiresAt <= now ? 'expired' : 'active';
  return {
    id: row.id,
    status,
    expires_at: row.expiresAt.toISOString(),
    ...(row.usedAt === null ? {} : { used_at: row.usedAt.toISOString() }),
    ...(row.createdBy === null ? {} : { created_by: row.createdBy }),
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * An events row as the API shows it: `user_id` is the container's owner for container events and
 * the acting user otherwise; `data` is the row's detail plus its `reason` and, when someone other
 * than the owner acted, `actor_user_id`.
 */
export function toEvent(record: EventRecord): Event {
  const userId = record.ownerUserId ?? record.actorUserId;
  const data: Record<string, unknown> = { ...record.detail };
  if (record.reason !== null) data['reason'] = record.reason;
  if (record.actorUserId !== null && record.actorUserId !== userId) {
    data['actor_user_id'] = record.actorUserId;
  }
  return {
    id: record.id,
    type: record.type as Event['type'],
    at: record.at.toISOString(),
    container_id: present(record.containerId),
    host_id: present(record.hostId),
    user_id: present(userId),
    data,
  };
}

export function toAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor_user_id: present(row.actorUserId),
    actor_token_id: present(row.actorTokenId),
    action: row.action,
    target_type: row.targetType,
    target_id: present(row.targetId),
    ip: row.ip,
    user_agent: present(row.userAgent),
    request_id: row.requestId,
    outcome: row.outcome,
    status_code: row.statusCode,
    error_code: present(row.errorCode),
  };
}
