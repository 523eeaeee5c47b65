// Parses `volume inspect` JSON (an array on both engines) into the labels of the home volume, so
// the runtime can check a volume is this host's before reusing or deleting it.
import { z } from 'zod';
import { parseJsonItems } from './json-output.js';

const VolumeEntry = z.object({
  Name: z.string(),
  Labels: z.record(z.string(), z.string()).nullish(),
});

export function parseVolumeLabels(
  stdout: string,
  command: readonly string[],
): Readonly<Record<string, string>> | null {
  const [volume] = parseJsonItems(stdout, VolumeEntry, 'volume inspect', command);
  return volume === undefined ? null : (volume.Labels ?? {});
}
