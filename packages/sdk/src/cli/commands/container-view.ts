// How the CLI shows containers to people: the `ls` table and the block after create/start/stop.
import type { Container } from '@rexec/protocol';
import { keyValues, shortTime, table } from '../table.js';

function cpu(millicores: number): string {
  return `${millicores / 1000}`;
}

function statusText(container: Container): string {
  return container.status_reason === undefined
    ? container.status
    : `${container.status} (${container.status_reason})`;
}

export function containerTable(containers: readonly Container[]): string {
  return table(
    ['NAME', 'ID', 'STATUS', 'IMAGE', 'ROLE', 'CPU', 'MEMORY', 'CREATED'],
    containers.map((c) => [
      c.name,
      c.id,
      statusText(c),
      c.image === 'custom' ? (c.custom_image ?? 'custom') : c.image,
      c.role,
      cpu(c.resources.cpu_millicores),
      `${c.resources.memory_mb}M`,
      shortTime(c.created_at),
    ]),
  );
}

export function containerBlock(c: Container): string {
  return keyValues([
    ['name', c.name],
    ['id', c.id],
    ['status', statusText(c)],
    ['image', c.image === 'custom' ? `custom (${c.custom_image ?? '?'})` : c.image],
    ['role', c.role],
    ['cpu', `${cpu(c.resources.cpu_millicores)} cores`],
    ['memory', `${c.resources.memory_mb} MB`],
    ['disk', `${c.resources.disk_mb} MB`],
    ['network', `${c.resources.network_mbps} Mbit/s`],
    ['host', c.host_id],
    ['created', c.created_at],
    ['started', c.started_at],
    ['session ends', c.session_expires_at],
    ['idle stop at', c.idle_stop_at ?? undefined],
  ]);
}
