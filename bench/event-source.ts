// Status changes for the event benchmarks (events-fanout.ts, webhooks.ts), written the way the
// control plane writes them: lifecycle/transitions.ts's transition() (the guarded UPDATE and its
// events row in one statement) on containers of one bench user, toggling stopped ⇄ running. The
// containers have no host, so no reconciliation or agent ever touches them: every event of theirs
// is one the bench wrote, and each container's events are in the order its toggles committed.
import { performance } from 'node:perf_hooks';
import { Tier, TierList, UserCreated } from '@rexec/protocol';
import { openDatabase, type Database } from '../packages/control-plane/src/db/open.js';
import { containers, type ContainerRow } from '../packages/control-plane/src/db/schema/index.js';
import { newId } from '../packages/control-plane/src/ids.js';
import { transition } from '../packages/control-plane/src/lifecycle/transitions.js';
import type { BenchControlPlane, Teardowns } from './control-plane.js';

export const BENCH_TIER = 'enterprise';

export interface EventWriter {
  userId: string;
  /** The bench user's API token. */
  token: string;
  containerIds: string[];
  /** Toggles container `index` once; resolves with performance.now() when its commit returned. */
  toggle(index: number): Promise<number>;
  /** Each container's event ids in the stable order (tx id, id): what the readers must see. */
  eventIds(): Promise<Map<string, string[]>>;
}

/** Raises the bench tier's list budget so `requests` GETs a minute (the streams) are let through. */
export async function allowLists(cp: BenchControlPlane, requests: number): Promise<string> {
  const { tiers } = await cp.api(TierList, 'GET', '/tiers');
  const tier = tiers.find((candidate) => candidate.name === BENCH_TIER);
  if (tier === undefined) throw new Error(`no tier named ${BENCH_TIER}`);
  const before = tier.rate_limits.list_per_minute;
  if (requests <= before) return 'as shipped';
  await cp.api(Tier, 'PATCH', `/tiers/${BENCH_TIER}`, {
    rate_limits: { list_per_minute: requests },
  });
  return `raised: list_per_minute ${before} → ${requests}`;
}

export async function startEventWriter(
  cp: BenchControlPlane,
  cleanup: Teardowns,
  containerCount: number,
  poolSize: number,
): Promise<EventWriter> {
  const created = await cp.api(UserCreated, 'POST', '/users', {
    name: 'bench-events',
    tier: BENCH_TIER,
  });
  const database: Database = await openDatabase({ url: cp.databaseUrl }, { poolSize });
  cleanup.teardown(() => database.close());
  const rows: ContainerRow[] = await database.db
    .insert(containers)
    .values(
      Array.from({ length: containerCount }, (_, i) => ({
        id: newId('ctr'),
        userId: created.user.id,
        name: `bench-events-${i}`,
        image: 'localhost/rexec-test/busybox:latest',
        role: 'barebone',
        status: 'stopped' as const,
        desiredStatus: 'stopped' as const,
        statusReason: 'user',
        cpuMillicores: 100,
        memoryMb: 64,
        diskMb: 512,
        networkMbps: 10,
      })),
    )
    .returning();
  const current = [...rows];
  return {
    userId: created.user.id,
    token: created.token,
    containerIds: rows.map((row) => row.id),
    async toggle(index) {
      const row = current[index];
      if (row === undefined) throw new Error(`no bench container ${index}`);
      const to = row.status === 'running' ? 'stopped' : 'running';
      const next = await transition(database.db, row, {
        to,
        reason: to === 'stopped' ? 'user' : null,
        actorUserId: created.user.id,
      });
      const committed = performance.now();
      if (next === null) throw new Error(`container ${row.id} changed under the bench`);
      current[index] = next;
      return committed;
    },
    async eventIds() {
      const pool = database.pool;
      if (pool === undefined) throw new Error('the bench database has no pg pool');
      const { rows: found } = await pool.query<{ id: string; container_id: string }>(
        `select id::text as id, container_id from events where container_id = any($1::text[])
         order by tx_id, id`,
        [rows.map((row) => row.id)],
      );
      const byContainer = new Map<string, string[]>(rows.map((row) => [row.id, []]));
      for (const event of found) byContainer.get(event.container_id)?.push(event.id);
      return byContainer;
    },
  };
}
