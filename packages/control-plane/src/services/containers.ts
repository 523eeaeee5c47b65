// Creating containers up to scheduling: defaults, per-container maxima, the race-free count quota,
// placement and the audit event — all or nothing. Reads are in container-queries.ts (re-exported
// here); talking to agents and the start/stop/delete lifecycle belong to later issues.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db, Tx } from '../db/open.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import type { TierRow } from '../db/schema/tiers.js';
import { users, type UserRow } from '../db/schema/users.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import {
  containerLimitReached,
  invalidRequest,
  nameTaken,
  noCapacity,
  resourceLimitExceeded,
} from '../errors.js';
import { generateName, newId } from '../ids.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { CONTAINER_NAME_PATTERN, countContainers } from './container-queries.js';
import { recordEvent } from './events.js';
import { getTier } from './tiers.js';

/** The create body as on the wire (snake_case); the HTTP layer has already checked its shape. */
export interface CreateContainerRequest {
  name?: string;
  image: string;
  custom_image?: string | null;
  role?: string;
  resources?: {
    cpu_millicores?: number;
    memory_mb?: number;
    disk_mb?: number;
    network_mbps?: number;
  };
}

export interface CreateContainerInput {
  user: UserRow;
  request: CreateContainerRequest;
  scheduler: Scheduler;
  /** The user's tier if the caller already has it (auth does); loaded otherwise. */
  tier?: TierRow;
}

export const DEFAULT_ROLE = 'barebone';
const NAME_ATTEMPTS = 20;
const LIVE_NAME_INDEX = 'containers_user_name_live_idx';

const RESOURCE_LIMITS = [
  ['cpu_millicores', 'cpuMillicores'],
  ['memory_mb', 'memoryMb'],
  ['disk_mb', 'diskMb'],
  ['network_mbps', 'networkMbps'],
] as const;

type ResourceColumns = Pick<ContainerRow, 'cpuMillicores' | 'memoryMb' | 'diskMb' | 'networkMbps'>;

/** Requested resources with tier maxima as defaults. @throws resource_limit_exceeded. */
export function resolveResources(
  requested: CreateContainerRequest['resources'],
  tier: TierRow,
): ResourceColumns {
  const resolved = {} as ResourceColumns;
  for (const [wire, column] of RESOURCE_LIMITS) {
    const value = requested?.[wire];
    const limit = tier[column];
    if (value === undefined) {
      resolved[column] = limit;
      continue;
    }
    if (!Number.isInteger(value) || value <= 0) {
      throw invalidRequest(`resources.${wire} must be a positive integer.`, [
        { path: `resources.${wire}`, message: 'expected a positive integer' },
      ]);
    }
    if (value > limit) throw resourceLimitExceeded(wire, value, limit, tier.name);
    resolved[column] = value;
  }
  return resolved;
}

/**
 * Creates the container row, reserves room on a host and records the event in one transaction.
 * @throws RexecError resource_limit_exceeded, container_limit_reached, name_taken, no_capacity
 * (nothing is kept), invalid_request.
 */
export async function createContainer(db: Db, input: CreateContainerInput): Promise<ContainerRow> {
  const { user, request, scheduler } = input;
  if (request.name !== undefined && !CONTAINER_NAME_PATTERN.test(request.name)) {
    throw invalidRequest('A container name is 1 to 63 of a-z, 0-9 and "-".', [
      { path: 'name', message: 'expected 1 to 63 of [a-z0-9-]' },
    ]);
  }
  checkImage(request);
  const tier = input.tier ?? (await getTier(db, user.tier));
  const resources = resolveResources(request.resources, tier);
  try {
    return await db.transaction(async (tx) => {
      // The user row lock serialises this user's creates, which makes count-then-insert race-free.
      await tx.select({ id: users.id }).from(users).where(eq(users.id, user.id)).for('update');
      const current = await countContainers(tx, user.id);
      if (current >= tier.maxContainers) {
        throw containerLimitReached(tier.maxContainers, current, tier.name);
      }
      const name = request.name ?? (await freeGeneratedName(tx, user.id));
      if (request.name !== undefined && (await nameInUse(tx, user.id, request.name))) {
        throw nameTaken(request.name);
      }
      const id = newId('ctr');
      await tx.insert(containers).values({
        id,
        userId: user.id,
        name,
        image: request.image,
        customImage: request.custom_image ?? null,
        role: request.role ?? DEFAULT_ROLE,
        desiredStatus: 'running',
        status: 'creating',
        ...resources,
      });
      const hostId = await scheduler.place(tx, {
        containerId: id,
        userId: user.id,
        resources: {
          cpuMillicores: resources.cpuMillicores,
          memoryMb: resources.memoryMb,
          diskMb: resources.diskMb,
        },
      });
      if (hostId === null) throw noCapacity();
      const [row] = await tx
        .update(containers)
        .set({ hostId })
        .where(eq(containers.id, id))
        .returning();
      if (row === undefined) throw new Error(`container ${id} vanished inside its transaction`);
      await recordEvent(tx, {
        type: 'container.created',
        actorUserId: user.id,
        containerId: id,
        hostId,
        reason: 'user',
        detail: { name, image: row.image, role: row.role },
      });
      return row;
    });
  } catch (error) {
    if (request.name !== undefined && isUniqueViolation(error, LIVE_NAME_INDEX)) {
      throw nameTaken(request.name);
    }
    throw error;
  }
}

/** The HTTP schema checks this too; repeated here because a wrong row would be unrunnable. */
function checkImage(request: CreateContainerRequest): void {
  const custom = request.image === 'custom';
  const reference = request.custom_image ?? null;
  if (custom && (reference === null || reference.trim() === '')) {
    throw invalidRequest('custom_image is required when image is "custom".', [
      { path: 'custom_image', message: 'required when image is custom' },
    ]);
  }
  if (!custom && reference !== null) {
    throw invalidRequest('custom_image is only allowed when image is "custom".', [
      { path: 'custom_image', message: 'only allowed when image is custom' },
    ]);
  }
}

async function nameInUse(tx: Tx, userId: string, name: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: containers.id })
    .from(containers)
    .where(
      and(eq(containers.userId, userId), eq(containers.name, name), isNull(containers.deletedAt)),
    )
    .limit(1);
  return row !== undefined;
}

async function freeGeneratedName(tx: Tx, userId: string): Promise<string> {
  for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
    const name = generateName();
    if (!(await nameInUse(tx, userId, name))) return name;
  }
  // Tens of thousands of combinations against at most a tier's count: practically unreachable.
  throw new Error(`no free container name after ${NAME_ATTEMPTS} attempts`);
}

export * from './container-queries.js';
