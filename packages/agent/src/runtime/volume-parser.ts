// Parses `volume inspect` JSON (an array on both engines) into the labels of the home volume, so
// the runtime can check a volume is this host's before reusing or deleting it, and where it lives
// on the host (to tell an empty one from one holding data).
import { z } from 'zod';
import { parseJsonItems } from './json-output.js';

const VolumeEntry = z.object({
  Name: z.string(),
  Labels: z.record(z.string(), z.string()).nullish(),
  Mountpoint: z.string().nullish(),
});

export interface VolumeDetails {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The directory on the host; null when the engine does not say. */
  mountpoint: string | null;
}

/** Every volume a `volume inspect` of one or more names printed. */
export function parseVolumeDetails(stdout: string, command: readonly string[]): VolumeDetails[] {
  return parseJsonItems(stdout, VolumeEntry, 'volume inspect', command).map((volume) => ({
    name: volume.Name,
    labels: volume.Labels ?? {},
    mountpoint: volume.Mountpoint ?? null,
  }));
}

export function parseVolumeLabels(
  stdout: string,
  command: readonly string[],
): Readonly<Record<string, string>> | null {
  const [volume] = parseJsonItems(stdout, VolumeEntry, 'volume inspect', command);
  return volume === undefined ? null : (volume.Labels ?? {});
}
