// A new container's create on the CLI runtime: a home volume from the pool, `run --detach` with
// what may be missing fixed on the way (image, user network), and the bandwidth shaping of its
// first run. A replay or a failed run is create-recovery.ts's; argv building is run-args.ts's.
import type { EngineCli } from './engine-cli.js';
import { isRuntimeError } from './errors.js';
import { explainRunFailure } from './image-pull.js';
import { discardFailedRun, existingAfterConflict, type CreateRecovery } from './create-recovery.js';
import type { ImageSizeGuard } from './image-size.js';
import type { RegistryMirrors } from './registry-mirrors.js';
import { buildRunArgs } from './run-args.js';
import { runFixingMissing } from './run-fixing-missing.js';
import { engineIdFromRun, observedAfterRun } from './run-observation.js';
import type { ValidContainerSpec } from './spec.js';
import type { CreatedContainer, ObservedContainer, RuntimeKind } from './types.js';
import type { UserNetworks } from './user-networks.js';

// `run` may have to set up storage and network for a first container; allow more than the default.
export const RUN_TIMEOUT_MS = 180_000;

/** What a create needs of its runtime, bound to one host. */
export interface CreateDeps extends CreateRecovery {
  cli: EngineCli;
  kind: RuntimeKind;
  hostId: string;
  networks: UserNetworks;
  registryMirrors: RegistryMirrors;
  /** Whether the host kernel has IPv6, which run-args.ts then switches off in the container. */
  hostIpv6: boolean;
  images: ImageSizeGuard;
  /** Whether `--storage-opt size=` works here (learnt by the runtime's info()). */
  storageOptSize: () => boolean;
  /** Whether `run` gets its own user namespace (podman `--userns=auto`; docker remaps by itself). */
  userNamespaces: () => Promise<boolean>;
  /** The container, or RuntimeError `not_found`. */
  require(containerId: string): Promise<ObservedContainer>;
}

/**
 * One engine call when the container is new: `run --detach` with a home volume made ahead of
 * time, whose printed id and argv describe the result. Existence is learnt from the engine's own
 * refusal (a taken container name) instead of asking first, so only a replay pays for the
 * lookups; a missing image is `run`'s `--pull never` failure, then pulled.
 */
export async function createContainer(
  deps: CreateDeps,
  spec: ValidContainerSpec,
): Promise<CreatedContainer> {
  const homeVolume = await deps.volumes.take();
  const started = deps.shaping.ownStart(spec.containerId);
  let stdout: string;
  try {
    await deps.images.check(spec.image);
    const pidFile = await deps.shaping.pidFileFor(spec);
    const args = buildRunArgs(spec, deps.hostId, {
      homeVolume,
      storageOptSize: deps.storageOptSize(),
      hostIpv6: deps.hostIpv6,
      userNamespace: await deps.userNamespaces(),
      imageVolumes: deps.kind === 'podman' ? 'ignore' : 'engine',
      ...(pidFile === undefined ? {} : { pidFile }),
    });
    stdout = await runFixingMissing(spec, args, {
      cli: deps.cli,
      hostId: deps.hostId,
      networks: deps.networks,
      log: deps.log,
      registryMirrors: deps.registryMirrors,
      images: deps.images,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    await deps.shaping.afterRun(spec, pidFile);
  } catch (runError) {
    if (isRuntimeError(runError, 'conflict')) {
      return existingAfterConflict(deps, spec.containerId, homeVolume, runError);
    }
    await discardFailedRun(deps, spec.containerId, homeVolume, runError);
    throw explainRunFailure(spec.image, runError);
  } finally {
    started();
    // After the run, so making the next volume never competes with this one for the engine, and
    // after this turn of the event loop, so spawning it does not hold up the create's result.
    setImmediate(() => deps.volumes.refill());
  }
  const startedAt = new Date();
  deps.log.info({ containerId: spec.containerId }, 'container created and started');
  const engineId = engineIdFromRun(stdout);
  // Every engine here prints the id; should one not, asking it costs one call and no accuracy.
  const observed =
    engineId === null
      ? await deps.require(spec.containerId)
      : observedAfterRun(spec, deps.hostId, engineId, startedAt);
  return { ...observed, replayed: false };
}
