// Inserts rows straight through the data layer's schema for states the API cannot reach yet: until
// agents exist (a later issue) create answers 503 no_capacity, so containers and hosts that tests
// need are written directly.
import type { Database } from '../../../packages/control-plane/src/db/open.js';
import {
  containers,
  hosts,
  type ContainerRow,
  type HostRow,
} from '../../../packages/control-plane/src/db/schema/index.js';
import { newId } from '../../../packages/control-plane/src/ids.js';

export async function insertContainer(
  database: Database,
  userId: string,
  overrides: Partial<ContainerRow> & { name: string },
): Promise<ContainerRow> {
  const [row] = await database.db
    .insert(containers)
    .values({
      id: newId('ctr'),
      userId,
      image: 'alpine:latest',
      role: 'barebone',
      status: 'stopped',
      desiredStatus: 'stopped',
      statusReason: 'user',
      cpuMillicores: 1000,
      memoryMb: 512,
      diskMb: 1024,
      networkMbps: 10,
      ...overrides,
    })
    .returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

export async function insertHost(
  database: Database,
  overrides: Partial<HostRow> = {},
): Promise<HostRow> {
  const [row] = await database.db
    .insert(hosts)
    .values({
      id: newId('hst'),
      name: 'host-a',
      status: 'online',
      scheduling: 'active',
      // As a host whose agent reported isolation would be; the fail-closed cases set it false.
      trusted: true,
      capacityCpuMillicores: 8000,
      capacityMemoryMb: 16384,
      capacityDiskMb: 100000,
      runtimeKind: 'podman',
      runtimeVersion: '4.3.1',
      agentVersion: '0.1.0',
      lastSeenAt: new Date(),
      ...overrides,
    })
    .returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}
