// One engine network per (host, user): created before `run` when this agent knows it is missing
// (or when `run` says so), with a subnet taken from the configured pool and labels naming host and
// user, and removed once its last container has been gone for the idle time (at once when that is
// 0): a user who deletes and creates again keeps it, and their next create pays no network calls.
// Isolation between networks is the engine's (podman `isolate`, docker's default for user-defined
// bridges); keeping containers off the host's ports is network/host-guard.ts's.
import { isRuntimeError, RuntimeError } from './errors.js';
import {
  LABEL_HOST_ID,
  LABEL_MANAGED,
  LABEL_USER_ID,
  labelArgs,
  USER_NETWORK_PREFIX,
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

export const DEFAULT_NETWORK_IDLE_MS = 10 * 60_000;

export interface UserNetworks {
  /** Creates the user's network unless it exists; concurrent calls for one user share one create. */
  ensure(userId: string): Promise<void>;
  /**
   * Before a `run`: creates the network when this agent's list says it is missing, which costs
   * less than a `run` refused for it. Unknown (not yet listed) means `run` finds out.
   */
  prepare(userId: string): Promise<void>;
  /** A container of the user's here went: the network goes when unused for the idle time. */
  release(userId: string): Promise<void>;
  /**
   * Lists this host's user networks (what `prepare` knows) and gives each an idle timer, so ones
   * a previous agent left unused go too. Resolves when the list is read.
   */
  start(): Promise<void>;
  /** Clears the idle timers. */
  close(): void;
}

export interface UserNetworkDeps {
  kind: RuntimeKind;
  hostId: string;
  pool: SubnetPool;
  run: (args: readonly string[]) => Promise<string>;
  /** How long an unused network stays; 0 removes it with its last container. */
  idleMs?: number;
  /** Where a failed idle removal is reported; nowhere when omitted. */
  warn?: (error: unknown, network: string) => void;
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

async function removeNetworkIfUnused(
  run: (args: readonly string[]) => Promise<string>,
  name: string,
): Promise<boolean> {
  try {
    await run(['network', 'rm', name]);
    return true;
  } catch (error) {
    if (isMissingNetwork(error)) return true;
    if (isRuntimeError(error) && NETWORK_IN_USE.test(error.stderr)) return false;
    throw error;
  }
}

export function createUserNetworks(deps: UserNetworkDeps): UserNetworks {
  const creating = new Map<string, Promise<void>>();
  const idleMs = deps.idleMs ?? 0;
  // Names of this host's networks as last seen; null until start() has listed them.
  let present: Set<string> | null = null;
  const idleTimers = new Map<string, NodeJS.Timeout>();

  function cancelIdle(name: string): void {
    clearTimeout(idleTimers.get(name));
    idleTimers.delete(name);
  }

  async function removeIfUnused(name: string): Promise<void> {
    if (await removeNetworkIfUnused(deps.run, name)) present?.delete(name);
  }

  function removeWhenIdle(name: string): void {
    cancelIdle(name);
    const timer = setTimeout(() => {
      idleTimers.delete(name);
      // A create for the user meanwhile holds the network: the engine refuses, nothing is lost.
      removeIfUnused(name).catch((error: unknown) => deps.warn?.(error, name));
    }, idleMs);
    timer.unref();
    idleTimers.set(name, timer);
  }

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

  function ensure(userId: string): Promise<void> {
    const name = userNetworkName(deps.hostId, userId);
    cancelIdle(name);
    let pending = creating.get(name);
    if (pending === undefined) {
      pending = create(userId)
        .then(() => void present?.add(name))
        .finally(() => creating.delete(name));
      creating.set(name, pending);
    }
    return pending;
  }

  return {
    ensure,
    async prepare(userId) {
      const name = userNetworkName(deps.hostId, userId);
      cancelIdle(name);
      if (present !== null && !present.has(name)) await ensure(userId);
    },
    async release(userId) {
      const name = userNetworkName(deps.hostId, userId);
      if (idleMs === 0) await removeIfUnused(name);
      else removeWhenIdle(name);
    },
    async start() {
      const stdout = await deps.run([
        'network',
        'ls',
        '--filter',
        `label=${LABEL_HOST_ID}=${deps.hostId}`,
        '--format',
        '{{.Name}}',
      ]);
      const names = stdout.split('\n').map((line) => line.trim());
      present = new Set(names.filter((name) => name.startsWith(USER_NETWORK_PREFIX)));
      if (idleMs > 0) for (const name of present) removeWhenIdle(name);
    },
    close() {
      for (const name of [...idleTimers.keys()]) cancelIdle(name);
    },
  };
}
