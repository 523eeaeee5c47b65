// `run` with what may be missing fixed on the way: `run --pull never` doubles as the existence
// check of image and network, so a present one costs no extra call (an image the spec says to pull
// on every use is pulled first, whether present or not) (a user network this agent
// knows is missing is created first: cheaper than a refused run). A missing image is pulled
// (through its registry's mirror, if any) and held to the image size cap, a missing user network created, and the run tried
// again; each is fixed at most once. Building the argv and undoing a failed run are the caller's.
import type { Logger } from 'pino';
import type { EngineCli } from './engine-cli.js';
import { isRuntimeError } from './errors.js';
import { pullImage } from './image-pull.js';
import { containerName, userNetworkName } from './labels.js';
import type { ImageSizeGuard } from './image-size.js';
import type { RegistryMirrors } from './registry-mirrors.js';
import type { ValidContainerSpec } from './spec.js';
import { isMissingNetwork } from './user-networks.js';
import type { UserNetworks } from './user-networks.js';
import { retryWhileBusy } from './busy-retry.js';

export interface RunFixingDeps {
  cli: EngineCli;
  hostId: string;
  networks: UserNetworks;
  log: Logger;
  registryMirrors: RegistryMirrors;
  /** Checks a pulled image against REXEC_MAX_IMAGE_MB before it is run. */
  images: ImageSizeGuard;
  timeoutMs: number;
}

// docker creates the container before it finds the network missing at start; the retry would
// then hit the taken name. podman refuses before creating, so there is nothing to remove.
async function discardCreated(cli: EngineCli, containerId: string): Promise<void> {
  try {
    await retryWhileBusy(() => cli.run(['rm', '--force', containerName(containerId)]));
  } catch (error) {
    if (!isRuntimeError(error, 'not_found')) throw error;
  }
}

/** `run`'s stdout; a pull that fails is `image_pull_failed` with the engine's stderr. */
export async function runFixingMissing(
  spec: ValidContainerSpec,
  args: readonly string[],
  deps: RunFixingDeps,
): Promise<string> {
  // Only the user's own network is ours to create; any other name must exist already.
  const ownNetwork = spec.network === userNetworkName(deps.hostId, spec.userId);
  let pulled = false;
  let networkCreated = false;
  if (ownNetwork) await deps.networks.prepare(spec.userId);
  if (spec.imagePull === 'always') {
    // Each use asks the registry: a copy in the engine's cache (pulled for another tenant, say)
    // is not enough, and a refused pull is image_pull_failed even when that copy exists.
    pulled = true;
    deps.log.info({ image: spec.image }, 'pulling the image, as every use of it must');
    await pullImage(deps.cli, spec.image, deps.registryMirrors);
  }
  for (;;) {
    try {
      return await deps.cli.run(args, { timeoutMs: deps.timeoutMs });
    } catch (error) {
      // `localhost/` names an image built on this host: there is no registry to pull it from.
      if (
        isRuntimeError(error, 'image_missing') &&
        !pulled &&
        !spec.image.startsWith('localhost/')
      ) {
        pulled = true;
        deps.log.info({ image: spec.image }, 'image missing; pulling it');
        await pullImage(deps.cli, spec.image, deps.registryMirrors);
        deps.images.forget(spec.image);
        await deps.images.check(spec.image);
      } else if (isMissingNetwork(error) && !networkCreated && ownNetwork) {
        networkCreated = true;
        deps.log.info({ userId: spec.userId }, 'creating the user network');
        await discardCreated(deps.cli, spec.containerId);
        await deps.networks.ensure(spec.userId);
      } else {
        throw error;
      }
    }
  }
}
