// The per-container home volume. podman can neither label a volume that `run` creates nor relabel
// one, so a new container takes a labelled volume this agent created ahead of time (a small pool,
// refilled after each create), and the container's io.rexec.home-volume label names it: a create
// waits for no `volume create`. With the pool empty or off, one is created on the spot. Containers
// from before the pool use `rexec-home-<id>`. A volume whose labels name another host (or another
// container) is never touched. Mounting it is run-args.ts's; which one a container has, labels.ts's.
import { readdir } from 'node:fs/promises';
import { isRuntimeError, RuntimeError } from './errors.js';
import {
  LABEL_CONTAINER_ID,
  LABEL_HOST_ID,
  LABEL_MANAGED,
  labelArgs,
  pooledHomeVolumeName,
  pooledHomeVolumePrefix,
} from './labels.js';
import { parseVolumeDetails, parseVolumeLabels, type VolumeDetails } from './volume-parser.js';

export const DEFAULT_HOME_VOLUME_POOL = 2;

export interface HomeVolumes {
  /** A volume no container has mounted: from the pool, or created now when the pool is empty. */
  take(): Promise<string>;
  /**
   * A taken volume that no container mounted (the name was taken: a replay): pooled again, or
   * removed when the pool is full.
   */
  giveBack(name: string): Promise<void>;
  /** Removes the volume; a missing one is fine, another host's or container's is refused. */
  remove(name: string, containerId: string): Promise<void>;
  /** Creates volumes in the background until the pool is full; failures are only logged. */
  refill(): void;
  /**
   * Once at startup: removes the empty, unmounted pool volumes an earlier agent left (one that
   * holds files is a container's home whose removal was cut short: it is kept and reported), then
   * fills the pool.
   */
  start(): Promise<void>;
}

export interface HomeVolumeDeps {
  hostId: string;
  binary: string;
  run: (args: readonly string[]) => Promise<string>;
  /** How many volumes to keep ready; 0 creates each at its container's create. */
  poolSize: number;
  warn: (message: string, details: Record<string, unknown>) => void;
}

export function buildHomeVolumeCreateArgs(name: string, hostId: string): string[] {
  const labels = { [LABEL_MANAGED]: 'true', [LABEL_HOST_ID]: hostId };
  return ['volume', 'create', ...labelArgs(labels), name];
}

async function isEmptyDir(path: string | null): Promise<boolean> {
  if (path === null) return false;
  try {
    return (await readdir(path)).length === 0;
  } catch {
    // Unreadable is not known to be empty, and only a known-empty volume may be removed.
    return false;
  }
}

export function createHomeVolumes(deps: HomeVolumeDeps): HomeVolumes {
  const ready: string[] = [];
  // Every volume this process created: start()'s sweep must not take one a create is mounting.
  const madeHere = new Set<string>();
  let filling: Promise<void> | null = null;
  // Counted with `ready` so a volume given back while one is being made never overfills the pool.
  let makingAhead = 0;

  async function create(): Promise<string> {
    const name = pooledHomeVolumeName(deps.hostId);
    madeHere.add(name);
    await deps.run(buildHomeVolumeCreateArgs(name, deps.hostId));
    return name;
  }

  async function fill(): Promise<void> {
    while (ready.length + makingAhead < deps.poolSize) {
      makingAhead++;
      try {
        ready.push(await create());
      } finally {
        makingAhead--;
      }
    }
  }

  function refill(): void {
    if (filling !== null || ready.length >= deps.poolSize) return;
    filling = fill()
      .catch((error: unknown) => {
        deps.warn('could not create a home volume ahead; creates make their own until it works', {
          err: error,
        });
      })
      .finally(() => {
        filling = null;
      });
  }

  async function inspect(names: readonly string[]): Promise<VolumeDetails[]> {
    const args = ['volume', 'inspect', ...names];
    return parseVolumeDetails(await deps.run(args), [deps.binary, ...args]);
  }

  async function listNames(filter: string): Promise<string[]> {
    const stdout = await deps.run(['volume', 'ls', '--quiet', '--filter', filter]);
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }

  async function removeQuietly(name: string): Promise<void> {
    try {
      await deps.run(['volume', 'rm', name]);
    } catch (error) {
      // In use after all (a container took it meanwhile) or gone: either way not ours to force.
      if (!isRuntimeError(error)) throw error;
    }
  }

  async function sweep(): Promise<void> {
    const prefix = pooledHomeVolumePrefix(deps.hostId);
    // Two lists instead of two filters in one: the engines disagree on whether filters AND or OR.
    const [own, unmounted] = await Promise.all([
      listNames(`label=${LABEL_HOST_ID}=${deps.hostId}`),
      listNames('dangling=true'),
    ]);
    const unmountedSet = new Set(unmounted);
    const candidates = own.filter(
      (name) => name.startsWith(prefix) && unmountedSet.has(name) && !madeHere.has(name),
    );
    if (candidates.length === 0) return;
    for (const volume of await inspect(candidates)) {
      if (volume.labels[LABEL_HOST_ID] !== deps.hostId) continue;
      if (await isEmptyDir(volume.mountpoint)) {
        await removeQuietly(volume.name);
      } else {
        deps.warn('a home volume no container uses still holds files; it is left in place', {
          volume: volume.name,
          mountpoint: volume.mountpoint,
        });
      }
    }
  }

  return {
    async take() {
      return ready.shift() ?? (await create());
    },

    async giveBack(name) {
      if (ready.length + makingAhead < deps.poolSize) ready.push(name);
      else await removeQuietly(name);
    },

    async remove(name, containerId) {
      const args = ['volume', 'inspect', name];
      let labels: Readonly<Record<string, string>> | null;
      try {
        labels = parseVolumeLabels(await deps.run(args), [deps.binary, ...args]);
      } catch (error) {
        if (isRuntimeError(error, 'not_found')) return;
        throw error;
      }
      if (labels === null) return;
      const labelledFor = labels[LABEL_CONTAINER_ID];
      if (
        labels[LABEL_HOST_ID] !== deps.hostId ||
        (labelledFor !== undefined && labelledFor !== containerId)
      ) {
        throw new RuntimeError(
          `volume ${name} is not managed by host ${deps.hostId} for container ${containerId}; ` +
            'refusing to remove it',
          { code: 'foreign_container' },
        );
      }
      madeHere.delete(name);
      try {
        await deps.run(['volume', 'rm', name]);
      } catch (error) {
        if (!isRuntimeError(error, 'not_found')) throw error;
      }
    },

    refill,

    async start() {
      try {
        await sweep();
      } catch (error) {
        deps.warn('could not sweep the home volumes an earlier agent left', { err: error });
      }
      refill();
      await filling;
    },
  };
}
