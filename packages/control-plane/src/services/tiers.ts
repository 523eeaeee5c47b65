// Tiers: the defaults of DESIGN §4 and §8.4 (seeded idempotently, never overwriting an admin's
// edits), lookups, and admin updates, which keep every per-container default within its maximum.
// Enforcing the limits is containers.ts's and the HTTP rate limiter's job.
import { MAX_IDLE_STOP_MINUTES, NETWORK_EGRESS, type NetworkEgress } from '@rexec/protocol';
import { asc, eq } from 'drizzle-orm';
import { isCheckViolation } from '../db/check-violation.js';
import type { Db } from '../db/open.js';
import { TIER_DEFAULTS_CHECK, tiers, type TierRow } from '../db/schema/tiers.js';
import { invalidRequest, notFound } from '../errors.js';

export type TierDefaults = Omit<TierRow, 'updatedAt' | 'networkEgress'> &
  Partial<Pick<TierRow, 'networkEgress'>>;

export const DEFAULT_TIER = 'community';

export const DEFAULT_TIERS: readonly TierDefaults[] = [
  {
    name: 'community',
    cpuMillicores: 2000,
    memoryMb: 2048,
    diskMb: 10240,
    networkMbps: 10,
    defaultCpuMillicores: 1000,
    defaultMemoryMb: 1024,
    defaultDiskMb: 5120,
    defaultNetworkMbps: 10,
    maxContainers: 5,
    sessionHours: 50,
    // Off by default on every tier; README suggests 60 for community.
    idleStopMinutes: null,
    rateCreatePerMin: 10,
    rateOpsPerMin: 60,
    rateListPerMin: 120,
  },
  {
    name: 'pro',
    cpuMillicores: 4000,
    memoryMb: 4096,
    diskMb: 20480,
    networkMbps: 100,
    defaultCpuMillicores: 2000,
    defaultMemoryMb: 2048,
    defaultDiskMb: 10240,
    defaultNetworkMbps: 100,
    maxContainers: 10,
    sessionHours: 168,
    idleStopMinutes: null,
    rateCreatePerMin: 10,
    rateOpsPerMin: 60,
    rateListPerMin: 120,
  },
  {
    name: 'enterprise',
    cpuMillicores: 8000,
    memoryMb: 8192,
    diskMb: 51200,
    networkMbps: 1000,
    defaultCpuMillicores: 2000,
    defaultMemoryMb: 4096,
    defaultDiskMb: 20480,
    defaultNetworkMbps: 1000,
    maxContainers: 25,
    sessionHours: null,
    idleStopMinutes: null,
    rateCreatePerMin: 10,
    rateOpsPerMin: 60,
    rateListPerMin: 120,
  },
];

/** Inserts the default tiers that are missing; existing rows (maybe edited) are left alone. */
export async function seedTiers(db: Db): Promise<void> {
  await db
    .insert(tiers)
    .values([...DEFAULT_TIERS])
    .onConflictDoNothing({ target: tiers.name });
}

/** Smallest tier first. */
export async function listTiers(db: Db): Promise<TierRow[]> {
  return db.select().from(tiers).orderBy(asc(tiers.maxContainers), asc(tiers.name));
}

/** @throws RexecError not_found when no tier has that name. */
export async function getTier(db: Db, name: string): Promise<TierRow> {
  const [row] = await db.select().from(tiers).where(eq(tiers.name, name));
  if (row === undefined) throw notFound('Tier', name);
  return row;
}

/**
 * Admin edit, snake_case keys as on the wire. `session_hours: null` means unlimited,
 * `idle_stop_minutes: null` never stops idle containers.
 */
export interface TierPatch {
  cpu_millicores?: number;
  memory_mb?: number;
  disk_mb?: number;
  network_mbps?: number;
  default_cpu_millicores?: number;
  default_memory_mb?: number;
  default_disk_mb?: number;
  default_network_mbps?: number;
  max_containers?: number;
  session_hours?: number | null;
  idle_stop_minutes?: number | null;
  rate_create_per_min?: number;
  rate_ops_per_min?: number;
  rate_list_per_min?: number;
  network_egress?: NetworkEgress;
}

const PATCH_COLUMNS = {
  cpu_millicores: 'cpuMillicores',
  memory_mb: 'memoryMb',
  disk_mb: 'diskMb',
  network_mbps: 'networkMbps',
  default_cpu_millicores: 'defaultCpuMillicores',
  default_memory_mb: 'defaultMemoryMb',
  default_disk_mb: 'defaultDiskMb',
  default_network_mbps: 'defaultNetworkMbps',
  max_containers: 'maxContainers',
  session_hours: 'sessionHours',
  idle_stop_minutes: 'idleStopMinutes',
  rate_create_per_min: 'rateCreatePerMin',
  rate_ops_per_min: 'rateOpsPerMin',
  rate_list_per_min: 'rateListPerMin',
} as const satisfies Record<Exclude<keyof TierPatch, 'network_egress'>, keyof TierRow>;

const MAX_INT4 = 2_147_483_647;

/** Each per-container default beside the maximum it may not exceed, wire name first. */
const DEFAULT_WITHIN = [
  ['cpu_millicores', 'defaultCpuMillicores', 'cpuMillicores'],
  ['memory_mb', 'defaultMemoryMb', 'memoryMb'],
  ['disk_mb', 'defaultDiskMb', 'diskMb'],
  ['network_mbps', 'defaultNetworkMbps', 'networkMbps'],
] as const;

function defaultAboveMaximum(wire: string, value: number, maximum: number) {
  return invalidRequest(
    `default_resources.${wire} ${value} is above the tier's maximum ${wire} of ${maximum}; ` +
      'lower the default or raise the maximum in the same request.',
    [{ path: `default_resources.${wire}`, message: `expected at most ${maximum}` }],
  );
}

/** @throws RexecError invalid_request when a default would end up above its maximum. */
function checkDefaults(row: TierRow, changes: Partial<TierRow>): void {
  const merged = { ...row, ...changes };
  for (const [wire, defaultColumn, maxColumn] of DEFAULT_WITHIN) {
    if (merged[defaultColumn] > merged[maxColumn]) {
      throw defaultAboveMaximum(wire, merged[defaultColumn], merged[maxColumn]);
    }
  }
}

/**
 * @throws RexecError not_found for an unknown tier, invalid_request for a value that is not a
 * positive integer (max_containers may be 0 to freeze a tier) or a default above its maximum.
 */
export async function updateTier(db: Db, name: string, patch: TierPatch): Promise<TierRow> {
  const changes: Partial<TierRow> = {};
  if (patch.network_egress !== undefined) {
    if (!(NETWORK_EGRESS as readonly string[]).includes(patch.network_egress)) {
      throw invalidRequest(`network_egress must be one of ${NETWORK_EGRESS.join(', ')}.`, [
        { path: 'network_egress', message: `expected one of ${NETWORK_EGRESS.join(', ')}` },
      ]);
    }
    changes.networkEgress = patch.network_egress;
  }
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [
    Exclude<keyof TierPatch, 'network_egress'>,
    keyof TierRow,
  ][]) {
    const value = patch[key];
    if (value === undefined) continue;
    if (value === null && (key === 'session_hours' || key === 'idle_stop_minutes')) {
      Object.assign(changes, { [column]: null });
      continue;
    }
    const min = key === 'max_containers' ? 0 : 1;
    const max = key === 'idle_stop_minutes' ? MAX_IDLE_STOP_MINUTES : MAX_INT4;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalidRequest(`${key} must be an integer from ${min} to ${max}.`, [
        { path: key, message: `expected an integer from ${min} to ${max}` },
      ]);
    }
    Object.assign(changes, { [column]: value });
  }
  const current = await getTier(db, name);
  if (Object.keys(changes).length === 0) return current;
  checkDefaults(current, changes);
  let row: TierRow | undefined;
  try {
    [row] = await db
      .update(tiers)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(tiers.name, name))
      .returning();
  } catch (error) {
    // Another admin's edit landed between the read above and this write; the check caught it.
    if (!isCheckViolation(error, TIER_DEFAULTS_CHECK)) throw error;
    throw invalidRequest(
      "A default resource would be above the tier's maximum after a concurrent edit; read the tier and try again.",
      [{ path: 'default_resources', message: 'expected every default at most its maximum' }],
    );
  }
  if (row === undefined) throw notFound('Tier', name);
  return row;
}
