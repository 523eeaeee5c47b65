// Finds which package manager a container has with one sh probe, so a custom image gets the
// right setup script. The probe's order puts apt first: Debian derivatives sometimes carry other
// managers' binaries, never the other way round. Running the setup is run-setup.ts's.
import type { ContainerShell } from './container-shell.js';
import { isRolePackageManager } from './package-managers.js';
import type { RolePackageManager } from './package-managers.js';

// Binary names probed, mapped to the manager they stand for (apt's scripting front end is apt-get).
const PROBES: readonly (readonly [string, RolePackageManager])[] = [
  ['apt-get', 'apt'],
  ['apk', 'apk'],
  ['pacman', 'pacman'],
  ['dnf', 'dnf'],
];
const NONE = 'none';

export const PACKAGE_MANAGER_PROBE =
  `for rexec_pm in ${PROBES.map(([binary]) => binary).join(' ')}; do ` +
  'if command -v "$rexec_pm" >/dev/null 2>&1; then echo "$rexec_pm"; exit 0; fi; ' +
  `done; echo ${NONE}`;

const PROBE_TIMEOUT_MS = 30_000;

/**
 * Thrown when the probe itself cannot run in the container (it is gone, or has no `sh`) or prints
 * something it never prints.
 */
export class PackageManagerProbeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PackageManagerProbeError';
  }
}

/** Interprets the probe's output: the manager, or null when the container has none of them. */
export function parseProbeOutput(output: string): RolePackageManager | null {
  const found = output.trim().split('\n').at(-1)?.trim() ?? '';
  if (found === NONE) return null;
  const match = PROBES.find(([binary]) => binary === found)?.[1];
  if (match !== undefined && isRolePackageManager(match)) return match;
  throw new PackageManagerProbeError(`unexpected package manager probe output: "${found}"`);
}

export async function detectPackageManager(
  shell: ContainerShell,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<RolePackageManager | null> {
  const run = await shell(PACKAGE_MANAGER_PROBE, { timeoutMs, tailBytes: 4096 });
  if (run.timedOut) {
    throw new PackageManagerProbeError(`the package manager probe timed out after ${timeoutMs} ms`);
  }
  if (run.exitCode !== 0) {
    const reason = run.failure ?? run.output.trim();
    throw new PackageManagerProbeError(
      `the package manager probe failed (exit ${run.exitCode ?? 'none'}): ${reason}`,
    );
  }
  return parseProbeOutput(run.output);
}
