// The container spec a create command carries, from the row: the catalog's image reference (or the
// user's custom one), owner, role and resources. Turning it into engine flags is the agent's job.
import { IMAGE_CATALOG, type ContainerSpec } from '@rexec/protocol';
import type { ContainerRow } from '../db/schema/containers.js';
import { customImagePull } from '../services/image-policy.js';

/** Processes per container; low because this machine's containers run with nproc=1024 ulimits. */
export const DEFAULT_PIDS_LIMIT = 512;

export function containerSpec(row: ContainerRow): ContainerSpec {
  return {
    container_id: row.id,
    name: row.name,
    image: imageReference(row),
    ...(row.image === 'custom' && row.customImage !== null
      ? { image_pull: customImagePull(row.customImage) }
      : {}),
    user_id: row.userId,
    role: row.role as ContainerSpec['role'],
    resources: {
      cpu_millicores: row.cpuMillicores,
      memory_mb: row.memoryMb,
      disk_mb: row.diskMb,
      network_mbps: row.networkMbps,
    },
    pids_limit: DEFAULT_PIDS_LIMIT,
    network_egress: row.networkEgress,
  };
}

function imageReference(row: ContainerRow): string {
  if (row.image === 'custom') {
    if (row.customImage === null) throw new Error(`container ${row.id} is custom without an image`);
    return row.customImage;
  }
  const reference = IMAGE_CATALOG.find((image) => image.name === row.image)?.reference;
  if (reference === undefined) throw new Error(`image ${row.image} has no catalog reference`);
  return reference;
}
