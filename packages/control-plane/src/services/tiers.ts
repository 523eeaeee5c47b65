// Tiers: the defaults of DESIGN §4 (seeded idempotently, never overwriting an admin's edits),
// lookups, and admin updates. Enforcing the limits is containers.ts's and the HTTP rate limiter's job.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { tiers, type TierRow } from '../db/schema/tiers.js';
import { invalidRequest, notFound } from '../errors.js';

export type TierDefaults = Omit<TierRow, 'updatedAt'>;

export const DEFAULT_TIER = 'community';

export const DEFAULT_TIERS: readonly TierDefaults[] = [
  {
    name: 'community',
    cpuMillicores: 2000,
    memoryMb: 2048,
    diskMb: 10240,
    networkMbps: 10,
    maxContainers: 5,
    sessionHours: 50,
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
    maxContainers: 10,
    sessionHours: 168,
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
    maxContainers: 25,
    sessionHours: null,
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

/** Admin edit, snake_case keys as on the wire. `session_hours: null` means unlimited. */
export interface TierPatch {
  cpu_millicores?: number;
  memory_mb?: number;
  disk_mb?: number;
  network_mbps?: number;
  max_containers?: number;
  session_hours?: number | null;
  rate_create_per_min?: number;
  rate_ops_per_min?: number;
  rate_list_per_min?: number;
}

const PATCH_COLUMNS = {
  cpu_millicores: 'cpuMillicores',
  memory_mb: 'memoryMb',
  disk_mb: 'diskMb',
  network_mbps: 'networkMbps',
  max_containers: 'maxContainers',
  session_hours: 'sessionHours',
  rate_create_per_min: 'rateCreatePerMin',
  rate_ops_per_min: 'rateOpsPerMin',
  rate_list_per_min: 'rateListPerMin',
} as const satisfies Record<keyof TierPatch, keyof TierRow>;

const MAX_INT4 = 2_147_483_647;

/**
 * @throws RexecError not_found for an unknown tier, invalid_request for a value that is not a
 * positive integer (max_containers may be 0 to freeze a tier).
 */
export async function updateTier(db: Db, name: string, patch: TierPatch): Promise<TierRow> {
  const changes: Partial<TierRow> = {};
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof TierPatch, keyof TierRow][]) {
    const value = patch[key];
    if (value === undefined) continue;
    if (value === null && key === 'session_hours') {
      changes.sessionHours = null;
      continue;
    }
    const min = key === 'max_containers' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_INT4) {
      throw invalidRequest(`${key} must be an integer of at least ${min}.`, [
        { path: key, message: `expected an integer >= ${min}` },
      ]);
    }
    Object.assign(changes, { [column]: value });
  }
  if (Object.keys(changes).length === 0) return getTier(db, name);
  const [row] = await db
    .update(tiers)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(tiers.name, name))
    .returning();
  if (row === undefined) throw notFound('Tier', name);
  return row;
}
