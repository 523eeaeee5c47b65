// Finds a host requirement's binary: at the fixed paths its engine looks in when it has them (podman
// finds catatonit in its helper directories, never on PATH), else on PATH. Whether the binary works
// is the doctor's checks' business; this only says where it is.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { HostRequirement } from './host-requirements.js';

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    // Absent or not executable: either way not usable, which is the answer asked for.
    return false;
  }
}

/** The directories of a PATH value, in order, without empty entries. */
export function pathDirectories(pathValue: string | undefined): string[] {
  return (pathValue ?? '').split(delimiter).filter((dir) => dir !== '');
}

/** The absolute path of the requirement's binary, or null when it is not installed. */
export async function locateBinary(
  requirement: Pick<HostRequirement, 'binary' | 'paths'>,
  pathValue: string | undefined = process.env['PATH'],
): Promise<string | null> {
  const candidates =
    requirement.paths ?? pathDirectories(pathValue).map((dir) => join(dir, requirement.binary));
  for (const candidate of candidates) {
    if (await executable(candidate)) return candidate;
  }
  return null;
}
