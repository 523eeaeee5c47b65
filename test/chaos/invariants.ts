// What "converged" means after a chaos trial, checked against Postgres and the engine directly
// (never the rate-limited API): every live row's status matches what its host runs, no duplicate
// or orphan containers, no row stuck in creating/deleting, no container lost, hosts online, and
// each host's reservation and each user's count quota equal the sums of its live containers.
import type pg from 'pg';
import { execa } from 'execa';
import { hostGuardChains } from '../../packages/agent/src/network/host-guard.js';
import { LABEL_CONTAINER_ID, LABEL_HOST_ID } from '../../packages/agent/src/runtime/labels.js';
import { engine, type EngineKind } from '../helpers/engine.js';

export const VIOLATION_KINDS = [
  'stuck',
  'mismatch',
  'lost',
  'duplicate',
  'orphan',
  'reservation',
  'quota',
  'host_offline',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

export interface LiveRow {
  id: string;
  user_id: string;
  host_id: string | null;
  status: string;
  desired_status: string;
  status_reason: string | null;
  cpu_millicores: number;
  memory_mb: number;
  disk_mb: number;
}

export interface EngineContainer {
  containerId: string;
  hostId: string;
  running: boolean;
}

interface HostRow {
  id: string;
  status: string;
  reserved_cpu_millicores: number;
  reserved_memory_mb: number;
  reserved_disk_mb: number;
}

export async function liveRows(db: pg.Client): Promise<LiveRow[]> {
  const result = await db.query<LiveRow>(
    `select id, user_id, host_id, status, desired_status, status_reason, cpu_millicores,
            memory_mb, disk_mb
       from containers where deleted_at is null order by created_at, id`,
  );
  return result.rows;
}

/** Every container labelled with one of hostIds, with its Rexec id and whether it runs. */
export async function engineContainers(
  kind: EngineKind,
  hostIds: readonly string[],
): Promise<EngineContainer[]> {
  const found: EngineContainer[] = [];
  for (const hostId of hostIds) {
    const listed = await engine(kind, [
      'ps',
      '-aq',
      '--no-trunc',
      '--filter',
      `label=${LABEL_HOST_ID}=${hostId}`,
    ]);
    const ids = listed.stdout.split('\n').filter((id) => id !== '');
    if (ids.length === 0) continue;
    const format = `{{index .Config.Labels "${LABEL_CONTAINER_ID}"}} {{.State.Running}}`;
    const inspected = await engine(kind, ['inspect', '--format', format, ...ids]);
    for (const line of inspected.stdout.split('\n').filter((l) => l !== '')) {
      const [containerId = '', running] = line.split(' ');
      found.push({ containerId, hostId, running: running === 'true' });
    }
  }
  return found;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Per-row checks: status against the engine, stuck rows, lost containers, duplicates. */
function rowViolations(
  rows: readonly LiveRow[],
  byId: Map<string, EngineContainer[]>,
  removedByChaos: ReadonlySet<string>,
): Violation[] {
  const found: Violation[] = [];
  for (const row of rows) {
    const copies = byId.get(row.id) ?? [];
    const what = `${row.id} (${row.status}, desired ${row.desired_status}, engine: ${
      copies.map((c) => (c.running ? 'running' : 'exited')).join('+') || 'none'
    })`;
    if (copies.length > 1) found.push({ kind: 'duplicate', detail: what });
    switch (row.status) {
      case 'creating':
      case 'deleting':
        found.push({ kind: 'stuck', detail: what });
        break;
      case 'running':
      case 'stopped':
        // Gone by the chaos's hand but still shown as there: drift not yet recorded, not a loss.
        if (copies.length === 0) {
          found.push({ kind: removedByChaos.has(row.id) ? 'mismatch' : 'lost', detail: what });
        } else if (copies.some((c) => c.running !== (row.status === 'running'))) {
          found.push({ kind: 'mismatch', detail: what });
        }
        break;
      case 'error':
        // An error is what a user sees of a container the chaos removed; of any other, a loss.
        if (row.status_reason === 'container_missing' && !removedByChaos.has(row.id)) {
          found.push({ kind: 'lost', detail: what });
        }
        break;
      default:
        found.push({ kind: 'mismatch', detail: `unknown status: ${what}` });
    }
  }
  return found;
}

/** Reservations and quotas against the sums of the live rows and what the engine holds. */
function sumViolations(
  rows: readonly LiveRow[],
  hosts: readonly HostRow[],
  byId: Map<string, EngineContainer[]>,
): Violation[] {
  const found: Violation[] = [];
  const byHost = groupBy(rows, (row) => row.host_id ?? '');
  for (const host of hosts) {
    if (host.status !== 'online') found.push({ kind: 'host_offline', detail: host.id });
    const placed = byHost.get(host.id) ?? [];
    const sum = (pick: (row: LiveRow) => number) => placed.reduce((n, row) => n + pick(row), 0);
    const want = [sum((r) => r.cpu_millicores), sum((r) => r.memory_mb), sum((r) => r.disk_mb)];
    const got = [host.reserved_cpu_millicores, host.reserved_memory_mb, host.reserved_disk_mb];
    if (want.some((value, i) => value !== got[i])) {
      found.push({
        kind: 'reservation',
        detail: `${host.id} reserves ${got.join('/')} but its live containers sum to ${want.join('/')}`,
      });
    }
  }
  // The count quota counts live rows (rexec_create_container): each must be a container the
  // engine holds or an error the user sees, never a row for nothing.
  for (const [userId, owned] of groupBy(rows, (row) => row.user_id)) {
    const held = owned.filter(
      (row) => (byId.get(row.id)?.length ?? 0) > 0 || row.status === 'error',
    ).length;
    if (held !== owned.length) {
      found.push({
        kind: 'quota',
        detail: `user ${userId}: ${owned.length} counted, ${held} held by the engine or in error`,
      });
    }
  }
  return found;
}

/** Every violation of the converged state right now; empty when the system has converged. */
export async function checkInvariants(
  db: pg.Client,
  kind: EngineKind,
  hostIds: readonly string[],
  removedByChaos: ReadonlySet<string>,
): Promise<Violation[]> {
  const rows = await liveRows(db);
  const hosts = (
    await db.query<HostRow>(
      `select id, status, reserved_cpu_millicores, reserved_memory_mb, reserved_disk_mb
         from hosts where id = any($1)`,
      [hostIds],
    )
  ).rows;
  const containers = await engineContainers(kind, hostIds);
  const byId = groupBy(containers, (c) => c.containerId);
  const live = new Set(rows.map((row) => row.id));
  const orphans: Violation[] = containers
    .filter((c) => !live.has(c.containerId))
    .map((c) => ({ kind: 'orphan', detail: `${c.containerId || '(no id label)'} on ${c.hostId}` }));
  return [
    ...rowViolations(rows, byId, removedByChaos),
    ...sumViolations(rows, hosts, byId),
    ...orphans,
  ];
}

/**
 * What the hosts left on the machine: containers, volumes and networks with their label, and
 * their iptables guard chains (only root's agents install one).
 */
export async function leftovers(kind: EngineKind, hostIds: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const hostId of hostIds) {
    const filter = `label=${LABEL_HOST_ID}=${hostId}`;
    for (const [what, args] of [
      ['container', ['ps', '-aq', '--filter', filter]],
      ['volume', ['volume', 'ls', '-q', '--filter', filter]],
      ['network', ['network', 'ls', '-q', '--filter', filter]],
    ] as const) {
      const listed = (await engine(kind, [...args])).stdout.split('\n').filter((l) => l !== '');
      found.push(...listed.map((name) => `${what} ${name} of ${hostId}`));
    }
  }
  if (process.getuid?.() !== 0) return found;
  const rules = (await execa('iptables', ['-S'])).stdout;
  for (const hostId of hostIds) {
    const { input, forward } = hostGuardChains(hostId);
    for (const chain of [input, forward]) {
      if (rules.includes(chain)) found.push(`iptables chain ${chain} of ${hostId}`);
    }
  }
  return found;
}
