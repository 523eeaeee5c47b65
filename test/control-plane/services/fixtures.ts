// Rows the service suites need that no service creates yet: hosts (agents register them in a later
// issue), inserted through the real schema. Users come from the real createUser.
import type { Db } from '../../../packages/control-plane/src/db/open.js';
import { hosts, type HostRow } from '../../../packages/control-plane/src/db/schema/hosts.js';
import { newId } from '../../../packages/control-plane/src/ids.js';
import { createUser } from '../../../packages/control-plane/src/services/users.js';
import type { UserRow } from '../../../packages/control-plane/src/db/schema/users.js';

export async function seedHost(db: Db, overrides: Partial<HostRow> = {}): Promise<HostRow> {
  const [row] = await db
    .insert(hosts)
    .values({
      id: newId('hst'),
      name: `host-${Math.random().toString(36).slice(2, 8)}`,
      status: 'online',
      scheduling: 'active',
      // As a host whose agent reported isolation would be; the fail-closed cases set it false.
      trusted: true,
      capacityCpuMillicores: 1_000_000,
      capacityMemoryMb: 1_000_000,
      capacityDiskMb: 10_000_000,
      ...overrides,
    })
    .returning();
  if (row === undefined) throw new Error('insert into hosts returned no row');
  return row;
}

export async function seedUser(db: Db, tier = 'community', name = 'someone'): Promise<UserRow> {
  return (await createUser(db, { name, tier })).user;
}
