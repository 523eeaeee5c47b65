// One engine network per (host, user): created on demand when `run` says it is missing, with a
// subnet taken from the configured pool and labels naming host and user, and removed when its last
// container goes. Isolation between networks is the engine's (podman `isolate`, docker's default
// for user-defined bridges); keeping containers off the host's ports is network/host-guard.ts's.
import { isRuntimeError, RuntimeError } from './errors.js';
import {
  LABEL_HOST_ID,
  LABEL_MANAGED,
  LABEL_USER_ID,
  labelArgs,
  userNetworkName,
} from './labels.js';
import { readFile } from 'node:fs/promises';
import {
  firstSubnetIndex,
  parseRouteTable,
  poolCidr,
  subnetAt,
  subnetCount,
  subnetOverlaps,
} from './subnet-pool.js';
import type { RoutedNetwork, SubnetPool } from './subnet-pool.js';
import type { RuntimeKind } from './types.js';

export interface UserNetworks {
  /** Creates the user's network unless it exists; concurrent calls for one user share one create. */
  ensure(userId: string): Promise<void>;
  /** Removes the user's network unless a container still uses it or it is already gone. */
  removeIfUnused(userId: string): Promise<void>;
}

export interface UserNetworkDeps {
  kind: RuntimeKind;
  hostId: string;
  pool: SubnetPool;
  run: (args: readonly string[]) => Promise<string>;
  /** The host's routed networks; /proc/net/route when omitted (tests pass their own). */
  routes?: () => Promise<RoutedNetwork[]>;
}

async function hostRoutes(): Promise<RoutedNetwork[]> {
  try {
    return parseRouteTable(await readFile('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}

// What `run` prints when its --network does not exist (podman, docker).
const MISSING_NETWORK = /unable to find network|network \S+ not found|network not found/i;
// `network create` refusing a subnet another network (of any owner) holds.
const SUBNET_TAKEN = /already used on the host|pool overlaps|overlaps with/i;
const NETWORK_IN_USE = /network is being used|associated containers|active endpoints/i;

/** True when an engine command failed because the network it names does not exist. */
export function isMissingNetwork(error: unknown): boolean {
  return isRuntimeError(error) && MISSING_NETWORK.test(error.stderr);
}

/** Removes the user's network unless a container still uses it or it is already gone. */
export async function removeUserNetworkIfUnused(
  run: (args: readonly string[]) => Promise<string>,
  hostId: string,
  userId: string,
): Promise<void> {
  try {
    await run(['network', 'rm', userNetworkName(hostId, userId)]);
  } catch (error) {
    if (isMissingNetwork(error) || (isRuntimeError(error) && NETWORK_IN_USE.test(error.stderr))) {
      return;
    }
    throw error;
  }
}

export function createUserNetworks(deps: UserNetworkDeps): UserNetworks {
  const creating = new Map<string, Promise<void>>();

  function createArgs(userId: string, subnet: string): string[] {
    const labels = {
      [LABEL_MANAGED]: 'true',
      [LABEL_HOST_ID]: deps.hostId,
      [LABEL_USER_ID]: userId,
    };
    return [
      'network',
      'create',
      ...labelArgs(labels),
      '--subnet',
      subnet,
      // docker isolates user-defined bridges from each other by default; podman only when asked.
      ...(deps.kind === 'podman' ? ['--opt', 'isolate=true'] : []),
      userNetworkName(deps.hostId, userId),
    ];
  }

  async function create(userId: string): Promise<void> {
    const first = firstSubnetIndex(deps.pool, deps.hostId, userId);
    const count = subnetCount(deps.pool);
    // Podman refuses a subnet the host already routes; docker does not, so skip those first.
    const routed = await (deps.routes ?? hostRoutes)();
    for (let attempt = 0; attempt < count; attempt++) {
      if (subnetOverlaps(deps.pool, first + attempt, routed)) continue;
      try {
        await deps.run(createArgs(userId, subnetAt(deps.pool, first + attempt)));
        return;
      } catch (error) {
        if (isRuntimeError(error) && SUBNET_TAKEN.test(error.stderr)) continue;
        // Another agent process (or a create we did not see) made it first: that is the goal.
        if (isRuntimeError(error, 'conflict')) return;
        throw error;
      }
    }
    throw new RuntimeError(
      `no free /${deps.pool.subnetPrefix} subnet left in the user network pool ${poolCidr(deps.pool)} ` +
        `(all ${count} are taken by engine networks); widen REXEC_USER_NETWORK_POOL or raise ` +
        'REXEC_USER_SUBNET_PREFIX so each user network is smaller',
      { code: 'engine_failed' },
    );
  }

  return {
    ensure(userId) {
      const name = userNetworkName(deps.hostId, userId);
      let pending = creating.get(name);
      if (pending === undefined) {
        pending = create(userId).finally(() => creating.delete(name));
        creating.set(name, pending);
      }
      return pending;
    },
    removeIfUnused: (userId) => removeUserNetworkIfUnused(deps.run, deps.hostId, userId),
  };
}
