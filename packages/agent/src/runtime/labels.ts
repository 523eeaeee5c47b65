// Names and labels that mark a container as Rexec's (DESIGN §6): `rexec-<id>` names, the
// `rexec-home-…` volumes, the per-user `rexec-net-…` networks and the io.rexec.* labels. Deciding who may touch what is the runtime's
// job (cli-runtime.ts); this file only spells the names so every caller spells them the same way.

import { createHash, randomBytes } from 'node:crypto';

export const LABEL_MANAGED = 'io.rexec.managed';
export const LABEL_CONTAINER_ID = 'io.rexec.container-id';
export const LABEL_HOST_ID = 'io.rexec.host-id';
export const LABEL_USER_ID = 'io.rexec.user-id';
/** The tier's limits, so a restarted agent and the disk monitor read them back from `list()`. */
export const LABEL_DISK_MB = 'io.rexec.disk-mb';
export const LABEL_NETWORK_MBPS = 'io.rexec.network-mbps';
/** On a container: the name of its home volume (absent on containers from before the pool). */
export const LABEL_HOME_VOLUME = 'io.rexec.home-volume';

/** Rexec ids become parts of engine names, so they are restricted to what every engine accepts. */
export const REXEC_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,55}$/;

export function containerName(containerId: string): string {
  return `rexec-${containerId}`;
}

/** A short stable digest of an id, for names with length limits (networks, iptables chains). */
export function shortHash(value: string, hexDigits: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, hexDigits);
}

export const USER_NETWORK_PREFIX = 'rexec-net-';

/** The engine network of one user's containers on one host. */
export function userNetworkName(hostId: string, userId: string): string {
  return `${USER_NETWORK_PREFIX}${shortHash(hostId, 8)}-${shortHash(userId, 12)}`;
}

/** The home volume of a container made before the pool, or found without its label. */
export function homeVolumeName(containerId: string): string {
  return `rexec-home-${containerId}`;
}

/** What every pooled home volume of one host is named with (container ids never look like it). */
export function pooledHomeVolumePrefix(hostId: string): string {
  return `rexec-home-${shortHash(hostId, 8)}-`;
}

/** A new pooled home volume's name: made before anyone knows which container it will serve. */
export function pooledHomeVolumeName(hostId: string): string {
  return `${pooledHomeVolumePrefix(hostId)}${randomBytes(6).toString('hex')}`;
}

/** The home volume a container's labels name (the old fixed name when they name none). */
export function homeVolumeOf(
  containerId: string,
  labels: Readonly<Record<string, string>> | undefined,
): string {
  return labels?.[LABEL_HOME_VOLUME] ?? homeVolumeName(containerId);
}

export interface RexecLabelSource {
  containerId: string;
  hostId: string;
  userId: string;
}

export function rexecLabels(source: RexecLabelSource): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_CONTAINER_ID]: source.containerId,
    [LABEL_HOST_ID]: source.hostId,
    [LABEL_USER_ID]: source.userId,
  };
}

export function labelArgs(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
}
