// The fleet as the gauges show it, read from Postgres at scrape time in one grouped query: hosts by
// status and scheduling, live containers by status, pending webhook deliveries. Postgres is the
// truth every replica shares, so any replica's scrape shows the whole fleet (dashboards take max).
import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { selectRows } from '../db/rows.js';

export interface FleetCounts {
  /** Keyed `${status}/${scheduling}`. */
  hosts: Map<string, number>;
  containers: Map<string, number>;
  pendingDeliveries: number;
}

interface CountRow extends Record<string, unknown> {
  kind: 'host' | 'container' | 'delivery';
  key: string;
  n: number;
}

export async function readFleetCounts(db: Db): Promise<FleetCounts> {
  // The partial index on pending deliveries and the small hosts table keep this cheap; containers
  // are counted over live rows only (deleted ones are kept for history and would only grow).
  const rows = await selectRows<CountRow>(
    db,
    sql`select 'host' as kind, status || '/' || scheduling as key, count(*)::int as n
          from hosts group by status, scheduling
        union all
        select 'container', status, count(*)::int from containers
          where deleted_at is null group by status
        union all
        select 'delivery', 'pending', count(*)::int from webhook_deliveries
          where status = 'pending'`,
  );
  const counts: FleetCounts = { hosts: new Map(), containers: new Map(), pendingDeliveries: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.kind === 'host') counts.hosts.set(row.key, n);
    else if (row.kind === 'container') counts.containers.set(row.key, n);
    else counts.pendingDeliveries = n;
  }
  return counts;
}
