// The per-container home volume (`rexec-home-<id>`): created labelled before `run`, reused by a
// replayed create (that is what keeps a user's data), removed with the container, and never
// touched when its labels name another host or container. Mounting it is run-args.ts's job.
import { isRuntimeError, RuntimeError } from './errors.js';
import { homeVolumeName, LABEL_CONTAINER_ID, LABEL_HOST_ID } from './labels.js';
import { buildVolumeCreateArgs } from './run-args.js';
import type { ValidContainerSpec } from './spec.js';
import { parseVolumeLabels } from './volume-parser.js';

export interface HomeVolumes {
  /** Creates the volume, or checks that an existing one is this container's. */
  ensure(spec: ValidContainerSpec): Promise<void>;
  /** Removes the volume; a missing one is fine, another host's is refused. */
  remove(containerId: string): Promise<void>;
}

export interface HomeVolumeDeps {
  hostId: string;
  binary: string;
  run: (args: readonly string[]) => Promise<string>;
}

export function createHomeVolumes(deps: HomeVolumeDeps): HomeVolumes {
  async function labelsOf(name: string): Promise<Readonly<Record<string, string>> | null> {
    const args = ['volume', 'inspect', name];
    try {
      return parseVolumeLabels(await deps.run(args), [deps.binary, ...args]);
    } catch (error) {
      if (isRuntimeError(error, 'not_found')) return null;
      throw error;
    }
  }

  function assertOwn(name: string, labels: Readonly<Record<string, string>>, id: string): void {
    if (labels[LABEL_HOST_ID] !== deps.hostId || labels[LABEL_CONTAINER_ID] !== id) {
      throw new RuntimeError(
        `volume ${name} is not managed by host ${deps.hostId} for container ${id}; refusing to use it`,
        { code: 'foreign_container' },
      );
    }
  }

  return {
    async ensure(spec) {
      const name = homeVolumeName(spec.containerId);
      let labels = await labelsOf(name);
      if (labels === null) {
        try {
          await deps.run(buildVolumeCreateArgs(spec, deps.hostId));
          return;
        } catch (error) {
          // Another create of the same container made it first; check it like any existing one.
          if (!isRuntimeError(error, 'conflict')) throw error;
          labels = (await labelsOf(name)) ?? {};
        }
      }
      assertOwn(name, labels, spec.containerId);
    },

    async remove(containerId) {
      const name = homeVolumeName(containerId);
      const labels = await labelsOf(name);
      if (labels === null) return;
      assertOwn(name, labels, containerId);
      try {
        await deps.run(['volume', 'rm', name]);
      } catch (error) {
        if (!isRuntimeError(error, 'not_found')) throw error;
      }
    },
  };
}
