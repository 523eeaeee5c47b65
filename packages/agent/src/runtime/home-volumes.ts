// The per-container home volume (`rexec-home-<id>`): created labelled before `run`, reused by a
// replayed create (that is what keeps a user's data), removed with the container, and never
// touched when its labels name another host or container. Mounting it is run-args.ts's job.
import { isRuntimeError, RuntimeError } from './errors.js';
import { homeVolumeName, LABEL_CONTAINER_ID, LABEL_HOST_ID } from './labels.js';
import { buildVolumeCreateArgs } from './run-args.js';
import type { ValidContainerSpec } from './spec.js';
import type { RuntimeKind } from './types.js';
import { parseVolumeLabels } from './volume-parser.js';

export interface HomeVolumes {
  /**
   * Creates the volume, or checks that an existing one is this container's. Resolves true when
   * this call created it, so a create that fails afterwards knows the volume is its own to take
   * back (an existing one may hold a user's data and stays).
   */
  ensure(spec: ValidContainerSpec): Promise<boolean>;
  /** Removes the volume; a missing one is fine, another host's is refused. */
  remove(containerId: string): Promise<void>;
}

export interface HomeVolumeDeps {
  kind: RuntimeKind;
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

  /** Runs `volume create`; false when the engine says the name is taken (then it is checked). */
  async function tryCreate(spec: ValidContainerSpec): Promise<boolean> {
    try {
      await deps.run(buildVolumeCreateArgs(spec, deps.hostId));
      return true;
    } catch (error) {
      if (!isRuntimeError(error, 'conflict')) throw error;
      return false;
    }
  }

  async function checkExisting(spec: ValidContainerSpec): Promise<void> {
    const name = homeVolumeName(spec.containerId);
    // Gone again between the conflict and the inspect: a concurrent failed create took it back.
    const labels = await labelsOf(name);
    if (labels === null) {
      throw new RuntimeError(`volume ${name} vanished while it was being created; retry`, {
        code: 'conflict',
      });
    }
    assertOwn(name, labels, spec.containerId);
  }

  return {
    async ensure(spec) {
      // podman refuses to create a volume whose name exists, so one call both creates a new one
      // and detects an old one, which only then costs an inspect. docker answers success for an
      // existing name whatever its labels, so there the inspect has to come first.
      if (deps.kind === 'docker') {
        const name = homeVolumeName(spec.containerId);
        const labels = await labelsOf(name);
        if (labels !== null) {
          assertOwn(name, labels, spec.containerId);
          return false;
        }
      }
      if (await tryCreate(spec)) return true;
      await checkExisting(spec);
      return false;
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
