// Creating containers up to scheduling: defaults, per-container maxima, the race-free count quota,
// placement and the audit event — all or nothing. Reads are in container-queries.ts (re-exported
// here); talking to agents and the start/stop/delete lifecycle belong to later issues.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import { containers, type ContainerRow } from '../db/schema/containers.js';
import type { TierRow } from '../db/schema/tiers.js';
import type { UserRow } from '../db/schema/users.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import type { NetworkEgress } from '@rexec/protocol';
import { containerLimitReached, invalidRequest, nameTaken, RexecError } from '../errors.js';
import type { PlacementOutcome } from '../metrics/recorders.js';
import { generateName, newId } from '../ids.js';
import type { Resources } from '../scheduler/placement.js';
import type { Offer, Placer } from '../scheduler/placer.js';
import { CONTAINER_NAME_PATTERN } from './container-queries.js';
import {
  DEFAULT_ROLE,
  resolveEgress,
  resolveResources,
  type CreateContainerRequest,
  type ResourceColumns,
} from './container-request.js';
import { noCapacityFor } from './no-capacity.js';
import { checkCustomImage, PUBLIC_REGISTRIES, type AllowedRegistries } from './image-policy.js';
import { getTier } from './tiers.js';

export interface CreateContainerInput {
  user: UserRow;
  request: CreateContainerRequest;
  /** Orders the hosts and offers them to the create statement (main.ts's, one per database). */
  placer: Placer;
  /** The user's tier if the caller already has it (auth does); loaded otherwise. */
  tier?: TierRow;
  /** Registries a non-admin's custom image may name; any public one when omitted. */
  allowedRegistries?: AllowedRegistries;
}

const NAME_ATTEMPTS = 20;
const LIVE_NAME_INDEX = 'containers_user_name_live_idx';

/**
 * Creates the container row, reserves room on a host and records the event in one transaction.
 * @throws RexecError resource_limit_exceeded, image_not_allowed, container_limit_reached,
 * name_taken, no_capacity (nothing is kept), invalid_request.
 */
export async function createContainer(db: Db, input: CreateContainerInput): Promise<ContainerRow> {
  const { user, request } = input;
  if (request.name !== undefined && !CONTAINER_NAME_PATTERN.test(request.name)) {
    throw invalidRequest('A container name is 1 to 63 of a-z, 0-9 and "-".', [
      { path: 'name', message: 'expected 1 to 63 of [a-z0-9-]' },
    ]);
  }
  checkImage(request);
  const tier = input.tier ?? (await getTier(db, user.tier));
  const resources = resolveResources(request.resources, tier);
  if (request.custom_image !== undefined && request.custom_image !== null) {
    checkCustomImage(request.custom_image, user, input.allowedRegistries ?? PUBLIC_REGISTRIES);
  }
  const egress = resolveEgress(request, tier);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const row = await placeNamed(db, { ...input, tier, resources, egress });
    input.placer.placements.placement('placed', seconds());
    return row;
  } catch (error) {
    input.placer.placements.placement(placementOutcome(error), seconds());
    throw error;
  }
}

function placementOutcome(error: unknown): PlacementOutcome {
  if (!(error instanceof RexecError)) return 'error';
  return error.code === 'no_capacity' ? 'no_capacity' : 'refused';
}

/** insertPlaced under a name: the one asked for, or generated ones until one is free. */
async function placeNamed(db: Db, input: Omit<PlacedInput, 'name'>): Promise<ContainerRow> {
  const { request } = input;
  // The live-name unique index is the name check: no query asks first. A generated name that
  // happens to be taken rolls the attempt back and the next one draws another.
  for (let attempt = 1; ; attempt++) {
    const name = request.name ?? generateName();
    try {
      return await insertPlaced(db, { ...input, name });
    } catch (error) {
      if (!isUniqueViolation(error, LIVE_NAME_INDEX)) throw error;
      if (request.name !== undefined) throw nameTaken(request.name);
      // Tens of thousands of combinations against at most a tier's count: practically unreachable.
      if (attempt >= NAME_ATTEMPTS) {
        throw new Error(`no free container name after ${NAME_ATTEMPTS} attempts`, { cause: error });
      }
    }
  }
}

interface PlacedInput extends CreateContainerInput {
  tier: TierRow;
  resources: ResourceColumns;
  egress: NetworkEgress;
  name: string;
}

async function insertPlaced(db: Db, input: PlacedInput): Promise<ContainerRow> {
  const { user, placer, resources } = input;
  const id = newId('ctr');
  const created = await placer.place(
    { userId: user.id, resources: reserveOf(resources) },
    (candidates) => createIfRoom(db, { ...input, id, candidates }),
  );
  if (created.live >= input.tier.maxContainers) {
    throw containerLimitReached(input.tier.maxContainers, created.live, input.tier.name);
  }
  if (created.row !== null) return created.row;
  // A taken name outranks a full fleet, as it did when the name was checked first.
  const wanted = input.request.name;
  if (wanted !== undefined && (await nameInUse(db, user.id, wanted))) throw nameTaken(wanted);
  throw await noCapacityFor(db, reserveOf(resources), input.tier, placer.cpuOvercommitPercent);
}

function reserveOf(resources: ResourceColumns): Resources {
  const { cpuMillicores, memoryMb, diskMb } = resources;
  return { cpuMillicores, memoryMb, diskMb };
}

interface CreateStep extends PlacedInput {
  id: string;
  candidates: readonly string[];
}

interface CreateOutcome extends Offer {
  /** The user's live containers before this one. */
  live: number;
  /** The new row; null when the quota or every candidate host said no. */
  row: ContainerRow | null;
}

/**
 * One statement, rexec_create_container (migrations 0004, 0010, 0011): lock the user's row, count their live
 * containers, and only under the tier's limit reserve on the first candidate with room, insert
 * the row on it and append the event. One round trip and its own transaction; the host's row lock
 * is held for that statement only.
 */
const CREATE: PreparedStatement = {
  name: 'rexec_create_container',
  text: `select live, placed_on as host_id, (extract(epoch from created) * 1000)::float8 as at_ms
    from rexec_create_container($1::text, $2::text, $3::text, $4::text, $5::text, $6::text,
      $7::int, $8::int, $9::int, $10::int, $11::int, $12::text[], $13::jsonb, $14::int, $15::text)`,
};

async function createIfRoom(db: Db, step: CreateStep): Promise<CreateOutcome> {
  const { user, request, tier, resources, name, id } = step;
  const customImage = request.custom_image ?? null;
  const role = request.role ?? DEFAULT_ROLE;
  const detail = JSON.stringify({ name, image: request.image, role });
  const [result] = await queryPrepared<{
    live: number;
    host_id: string | null;
    at_ms: number | null;
  }>(db, CREATE, [
    id,
    user.id,
    name,
    request.image,
    customImage,
    role,
    resources.cpuMillicores,
    resources.memoryMb,
    resources.diskMb,
    resources.networkMbps,
    tier.maxContainers,
    step.candidates,
    detail,
    step.placer.cpuOvercommitPercent,
    step.egress,
  ]);
  if (result === undefined) throw new Error(`the create of container ${id} returned no row`);
  // Over the tier's count, nothing more to offer; otherwise every candidate was full.
  const settled = result.live >= tier.maxContainers;
  if (result.host_id === null || result.at_ms === null) {
    return { settled, live: result.live, row: null };
  }
  const row: ContainerRow = {
    id,
    userId: user.id,
    name,
    image: request.image,
    customImage,
    role,
    desiredStatus: 'running',
    desiredReason: null,
    status: 'creating',
    statusReason: null,
    statusDetail: null,
    hostId: result.host_id,
    ...resources,
    networkEgress: step.egress,
    createdAt: new Date(result.at_ms),
    startedAt: null,
    stoppedAt: null,
    sessionExpiresAt: null,
    lastActiveAt: null,
    diskUsedMb: null,
    usageMeasuredAt: null,
    deletedAt: null,
  };
  return { settled: true, live: result.live, row };
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

async function nameInUse(db: Db, userId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: containers.id })
    .from(containers)
    .where(
      and(eq(containers.userId, userId), eq(containers.name, name), isNull(containers.deletedAt)),
    )
    .limit(1);
  return row !== undefined;
}

export * from './container-queries.js';
export * from './container-request.js';
