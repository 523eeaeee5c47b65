// The checks an agent makes of its host at start and at every HELLO, and `rexec-agent doctor`
// prints: every program it runs is installed (host-requirements.ts), network and disk enforcement
// are in force, containers get user namespaces, the engine's storage has room. Each failure's message says what fixes it. Trying a
// real container run is trial-run.ts's (the doctor's only: it takes seconds); acting on a failed
// check is the control plane's (it schedules nothing on an unhealthy host).
import { statfs } from 'node:fs/promises';
import type { DiskEnforcement, HostHealthCheck, RuntimeKind } from '@rexec/protocol';
import { STORAGE_PATHS } from '../capacity.js';
import type { NetworkEnforcement } from '../network/index.js';
import type { RuntimeInfo } from '../runtime/index.js';
import { requirementsFor } from './host-requirements.js';
import type { HostRequirement } from './host-requirements.js';
import { locateBinary } from './locate-binary.js';

const MIB = 1024 * 1024;
/** Below this much free space in the engine's storage, new containers and images soon fail. */
export const LOW_FREE_DISK_MB = 1024;

export interface HostCheckInput {
  engine: RuntimeKind;
  network: NetworkEnforcement;
  disk: DiskEnforcement;
  /** PATH to look binaries up on; the process's own by default. */
  pathValue?: string;
  /** Where the engine keeps its storage; the engine's default place when omitted. */
  storagePath?: string;
  /** What the runtime found (RuntimeInfo.userNamespaces and its detail); no check when omitted. */
  userNamespaces?: { enabled: boolean; detail?: string };
}

function userNamespaceCheck(
  userNamespaces: NonNullable<HostCheckInput['userNamespaces']>,
): HostHealthCheck {
  const fallback = userNamespaces.enabled
    ? 'containers run in a user namespace'
    : 'containers run without a user namespace: root inside is root on the host after an escape';
  return {
    check: 'user_namespaces',
    ok: userNamespaces.enabled,
    required: false,
    message: (userNamespaces.detail ?? fallback).slice(0, 500),
  };
}

/** `binary_catatonit`, `binary_docker_init`: check names are snake_case. */
export function binaryCheckName(binary: string): string {
  return `binary_${binary.replace(/[^a-z0-9]+/g, '_')}`;
}

async function binaryCheck(
  requirement: HostRequirement,
  pathValue: string | undefined,
): Promise<HostHealthCheck> {
  const found = await locateBinary(requirement, pathValue);
  return {
    check: binaryCheckName(requirement.binary),
    ok: found !== null,
    required: requirement.required,
    message:
      found === null
        ? `${requirement.binary} is not installed (${requirement.purpose}): ` +
          `install the Debian package ${requirement.debianPackage}`
        : `${requirement.binary} at ${found}`,
  };
}

function networkChecks(network: NetworkEnforcement): HostHealthCheck[] {
  const why = network.detail === undefined ? '' : `: ${network.detail}`;
  return [
    {
      check: 'network_isolation',
      ok: network.isolation,
      // Not required: the control plane places nothing on such a host unless an admin trusts it.
      required: false,
      message: network.isolation
        ? "the host guard keeps containers off the host, other users' networks and non-public addresses"
        : (
            `containers are not kept off the host, other users' networks and non-public ` +
            `addresses${why}; no container is placed here until an admin trusts the host`
          ).slice(0, 500),
    },
    {
      check: 'network_shaping',
      ok: network.shaping,
      required: false,
      message: network.shaping
        ? 'network_mbps is shaped both ways with tc'
        : `network_mbps is not enforced${why}`.slice(0, 500),
    },
  ];
}

function diskCheck(mode: DiskEnforcement): HostHealthCheck {
  return {
    check: 'disk_enforcement',
    ok: mode !== 'none',
    required: false,
    message:
      mode === 'none'
        ? 'disk_mb is not enforced: run the agent with its disk monitor (REXEC_DISK_CHECK_SECONDS)'
        : `disk_mb is enforced by ${mode === 'storage_opt' ? 'the storage driver' : 'the disk monitor'}`,
  };
}

async function freeDiskCheck(path: string): Promise<HostHealthCheck> {
  try {
    const stats = await statfs(path);
    const freeMb = Math.floor((stats.bavail * stats.bsize) / MIB);
    return {
      check: 'free_disk',
      ok: freeMb >= LOW_FREE_DISK_MB,
      required: false,
      message:
        freeMb >= LOW_FREE_DISK_MB
          ? `${freeMb} MB free in ${path}`
          : `only ${freeMb} MB free in ${path}: new containers and images will soon fail; ` +
            'free space there (unused images, stopped containers, volumes)',
    };
  } catch (error) {
    // The storage directory is made by the engine on first use; not measurable yet is not a fault.
    return {
      check: 'free_disk',
      ok: true,
      required: false,
      message: `free space in ${path} not measured: ${(error as Error).message}`.slice(0, 500),
    };
  }
}

/** The host check's input from what the runtime found. */
export function userNamespacesOf(
  info: Pick<RuntimeInfo, 'userNamespaces' | 'userNamespacesDetail'>,
): NonNullable<HostCheckInput['userNamespaces']> {
  return {
    enabled: info.userNamespaces === true,
    ...(info.userNamespacesDetail === undefined ? {} : { detail: info.userNamespacesDetail }),
  };
}

/** Every check, in a stable order; none throws (a check that cannot run says so as its result). */
export async function checkHost(input: HostCheckInput): Promise<HostHealthCheck[]> {
  const binaries = await Promise.all(
    requirementsFor(input.engine).map((r) => binaryCheck(r, input.pathValue)),
  );
  return [
    ...binaries,
    ...networkChecks(input.network),
    diskCheck(input.disk),
    ...(input.userNamespaces === undefined ? [] : [userNamespaceCheck(input.userNamespaces)]),
    await freeDiskCheck(input.storagePath ?? STORAGE_PATHS[input.engine]),
  ];
}

/** The failed checks that make the host unable to run containers. */
export function failedRequired(checks: readonly HostHealthCheck[]): HostHealthCheck[] {
  return checks.filter((c) => c.required && !c.ok);
}
