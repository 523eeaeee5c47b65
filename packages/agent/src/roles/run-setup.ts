// Sets a role up in a running container: probe the package manager, run the generated script
// under one overall deadline, and return the outcome with the log's tail. Never throws for a
// failed setup: what a failure does to the container's status is the caller's (command-actions).
import type { RoleName } from '@rexec/protocol';
import type { ContainerShell } from './container-shell.js';
import { detectPackageManager, PackageManagerProbeError } from './detect-package-manager.js';
import { DEFAULT_LOG_TAIL_BYTES } from './log-tail.js';
import type { RolePackageManager } from './package-managers.js';
import { roleSetupScript, SETUP_FAILURE_PREFIX } from './setup-script.js';
import type { SetupScriptOptions } from './setup-script.js';

export const DEFAULT_ROLE_SETUP_TIMEOUT_MS = 600_000;
const PROBE_TIMEOUT_MS = 30_000;

export type RoleSetupOutcome =
  | { kind: 'skipped' }
  | {
      kind: 'succeeded' | 'failed';
      packageManager: RolePackageManager | null;
      /** The tail of the setup's output; on failure its last line says why. */
      log: string;
      truncated: boolean;
      timedOut: boolean;
    };

export interface RoleSetupOptions extends SetupScriptOptions {
  shell: ContainerShell;
  role: RoleName;
  /** For the probe and the script together. */
  timeoutMs?: number;
  tailBytes?: number;
}

function failed(
  packageManager: RolePackageManager | null,
  log: string,
  extra: { truncated?: boolean; timedOut?: boolean } = {},
): RoleSetupOutcome {
  return {
    kind: 'failed',
    packageManager,
    log,
    truncated: extra.truncated ?? false,
    timedOut: extra.timedOut ?? false,
  };
}

export async function runRoleSetup(options: RoleSetupOptions): Promise<RoleSetupOutcome> {
  const { role, shell } = options;
  if (role === 'barebone') return { kind: 'skipped' };
  const timeoutMs = options.timeoutMs ?? DEFAULT_ROLE_SETUP_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let packageManager: RolePackageManager | null;
  try {
    packageManager = await detectPackageManager(shell, Math.min(PROBE_TIMEOUT_MS, timeoutMs));
  } catch (error) {
    // A probe that cannot run is this container's setup failing, reported in its log.
    if (!(error instanceof PackageManagerProbeError)) throw error;
    return failed(null, `${SETUP_FAILURE_PREFIX}: role ${role}: ${error.message}\n`);
  }
  if (packageManager === null) {
    return failed(
      null,
      `${SETUP_FAILURE_PREFIX}: role ${role} needs a package manager and the image has none ` +
        'of apt-get, apk, pacman, dnf\n',
    );
  }
  const script = roleSetupScript(role, packageManager, options);
  if (script === null) return { kind: 'skipped' };
  const remainingMs = Math.max(1, deadline - Date.now());
  const run = await shell(script, {
    timeoutMs: remainingMs,
    tailBytes: options.tailBytes ?? DEFAULT_LOG_TAIL_BYTES,
  });
  const extra = { truncated: run.truncated, timedOut: run.timedOut };
  if (run.timedOut) {
    const seconds = Math.round(timeoutMs / 1000);
    return failed(
      packageManager,
      `${run.output}\n${SETUP_FAILURE_PREFIX}: role ${role} did not finish within ${seconds} s\n`,
      extra,
    );
  }
  if (run.failure !== null) {
    return failed(
      packageManager,
      `${run.output}\n${SETUP_FAILURE_PREFIX}: role ${role}: the engine could not run the ` +
        `script: ${run.failure}\n`,
      extra,
    );
  }
  if (run.exitCode === 0) return { kind: 'succeeded', packageManager, log: run.output, ...extra };
  // The script ends every failure with its own line; without one, it never got to run (no sh).
  if (run.output.includes(SETUP_FAILURE_PREFIX)) return failed(packageManager, run.output, extra);
  return failed(
    packageManager,
    `${run.output}\n${SETUP_FAILURE_PREFIX}: role ${role}: the script could not run ` +
      `(exit ${run.exitCode ?? 'none'})\n`,
    extra,
  );
}
