// Parses `info` JSON into RuntimeInfo. podman and docker print unrelated shapes, so each has its
// own schema. Disk quota support is judged from the storage driver (cheap, no probe container);
// overlay on xfs is left undecided here for storage-quota.ts to settle from the mount table, and
// measuring disk use when it is unsupported is the agent's job. docker's user namespaces
// (userns-remap) are read here; podman's are the runtime's to settle (user-namespaces.ts).
import { z } from 'zod';
import { parseJsonObject } from './json-output.js';
import type { RuntimeInfo, RuntimeKind } from './types.js';
import { dockerUserNamespaces, type UserNamespaceSupport } from './user-namespaces.js';

const PodmanInfo = z.object({
  host: z.object({ cgroupVersion: z.string().optional() }),
  store: z.object({
    graphDriverName: z.string(),
    graphStatus: z.record(z.string(), z.string()).nullish(),
    graphRoot: z.string().optional(),
  }),
  version: z.object({ Version: z.string() }),
});

const DockerInfo = z.object({
  ServerVersion: z.string(),
  Driver: z.string(),
  DriverStatus: z.array(z.array(z.string())).nullish(),
  CgroupVersion: z.string().optional(),
  DockerRootDir: z.string().optional(),
  SecurityOptions: z.array(z.string()).nullish(),
});

/**
 * btrfs, zfs and devicemapper honour `size=`; overlay only on xfs mounted with pquota, which
 * cannot be confirmed without trying, hence null; vfs and overlay on anything else do not.
 */
export function storageOptSizeSupport(
  driver: string,
  backingFs: string | undefined,
): boolean | null {
  switch (driver) {
    case 'btrfs':
    case 'zfs':
    case 'devicemapper':
      return true;
    case 'overlay':
    case 'overlay2':
      return backingFs === 'xfs' ? null : false;
    default:
      return false;
  }
}

function cgroupVersion(value: string | undefined): 1 | 2 | null {
  if (value === 'v1' || value === '1') return 1;
  if (value === 'v2' || value === '2') return 2;
  return null;
}

export function infoFormatArgs(kind: RuntimeKind): string[] {
  return ['info', '--format', kind === 'podman' ? 'json' : '{{json .}}'];
}

export function parseInfoOutput(
  kind: RuntimeKind,
  stdout: string,
  command: readonly string[],
): RuntimeInfo {
  if (kind === 'podman') {
    const info = parseJsonObject(stdout, PodmanInfo, 'info', command);
    const driver = info.store.graphDriverName;
    return {
      kind,
      version: info.version.Version,
      storageDriver: driver,
      storageOptSize: storageOptSizeSupport(driver, info.store.graphStatus?.['Backing Filesystem']),
      cgroupVersion: cgroupVersion(info.host.cgroupVersion),
      // Settled from /etc/subuid by the runtime (user-namespaces.ts): `info` does not say.
      userNamespaces: null,
    };
  }
  const info = parseJsonObject(stdout, DockerInfo, 'info', command);
  const backing = info.DriverStatus?.find((pair) => pair[0] === 'Backing Filesystem')?.[1];
  return {
    kind,
    version: info.ServerVersion,
    storageDriver: info.Driver,
    storageOptSize: storageOptSizeSupport(info.Driver, backing),
    cgroupVersion: cgroupVersion(info.CgroupVersion),
    ...userNamespaceFields(dockerUserNamespaces(info.SecurityOptions ?? [])),
  };
}

function userNamespaceFields(
  support: UserNamespaceSupport,
): Pick<RuntimeInfo, 'userNamespaces' | 'userNamespacesDetail'> {
  return { userNamespaces: support.enabled, userNamespacesDetail: support.detail };
}

/** Where the engine keeps its layers (podman graphRoot, docker DockerRootDir); null if unsaid. */
export function storageRootOf(
  kind: RuntimeKind,
  stdout: string,
  command: readonly string[],
): string | null {
  if (kind === 'podman') {
    return parseJsonObject(stdout, PodmanInfo, 'info', command).store.graphRoot ?? null;
  }
  return parseJsonObject(stdout, DockerInfo, 'info', command).DockerRootDir ?? null;
}
