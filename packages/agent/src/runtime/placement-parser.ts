// Reads where a container lives on the host from one `container inspect --format` call: its init
// pid (for nsenter), the overlay upper dir, the home volume's directory and any other volume's (for
// the disk monitor). docker and podman print the same fields here. Only this host's containers are located.
import { z } from 'zod';
import { isRuntimeError, RuntimeError } from './errors.js';
import { containerName, homeVolumeOf, LABEL_HOST_ID } from './labels.js';
import { parseJsonObject } from './json-output.js';
import type { ContainerPlacement } from './types.js';

/** One JSON object per container, built by the engine's Go template. */
export const PLACEMENT_FORMAT =
  '{"pid":{{json .State.Pid}},"graph":{{json .GraphDriver.Data}},' +
  '"mounts":{{json .Mounts}},"labels":{{json .Config.Labels}}}';

const Placement = z.object({
  pid: z.number().int().nonnegative(),
  graph: z.record(z.string(), z.string()).nullish(),
  mounts: z
    .array(
      z.object({
        Type: z.string().optional(),
        Name: z.string().optional(),
        Source: z.string().optional(),
      }),
    )
    .nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
});

export interface ParsedPlacement {
  placement: ContainerPlacement;
  labels: Readonly<Record<string, string>>;
}

export function parsePlacementOutput(
  containerId: string,
  stdout: string,
  command: readonly string[],
): ParsedPlacement {
  const raw = parseJsonObject(stdout, Placement, 'inspect', command);
  const volume = homeVolumeOf(containerId, raw.labels ?? undefined);
  const mounts = raw.mounts ?? [];
  const home = mounts.find((mount) => mount.Name === volume);
  // An image's VOLUME lines become engine volumes on docker (podman's are kept out with
  // `--image-volume ignore`): measured with the rest, so they cannot hold data past the limit.
  const volumeDirs = mounts
    .filter((mount) => mount.Type === 'volume' && mount.Name !== volume)
    .flatMap((mount) => (mount.Source === undefined || mount.Source === '' ? [] : [mount.Source]));
  return {
    placement: {
      containerId,
      pid: raw.pid,
      writableDir: raw.graph?.['UpperDir'] ?? null,
      homeVolumeDir: home?.Source ?? null,
      volumeDirs,
    },
    labels: raw.labels ?? {},
  };
}

/**
 * One `inspect --format` call: null when the container does not exist, RuntimeError
 * `foreign_container` when its io.rexec.host-id names another host.
 */
export async function locateContainer(
  containerId: string,
  hostId: string,
  run: (args: readonly string[]) => Promise<string>,
  binary: string,
): Promise<ParsedPlacement | null> {
  const args = ['container', 'inspect', '--format', PLACEMENT_FORMAT, containerName(containerId)];
  let stdout: string;
  try {
    stdout = await run(args);
  } catch (error) {
    if (isRuntimeError(error, 'not_found')) return null;
    throw error;
  }
  const parsed = parsePlacementOutput(containerId, stdout, [binary, ...args]);
  if (parsed.labels[LABEL_HOST_ID] !== hostId) {
    throw new RuntimeError(
      `container ${containerName(containerId)} is not managed by host ${hostId}; refusing to touch it`,
      { code: 'foreign_container' },
    );
  }
  return parsed;
}
