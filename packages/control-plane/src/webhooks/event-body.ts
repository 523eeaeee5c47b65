// The JSON body of a delivery, built from the event row: the same fields as GET /events (DESIGN
// §8.3). The row is append-only, so every retry of a delivery sends the same bytes.
import type { WebhookEventBody } from '@rexec/protocol';

export interface EventBodyRow {
  event_id: string;
  type: string;
  /** ISO 8601 in UTC, formatted by the query. */
  at: string;
  container_id: string | null;
  host_id: string | null;
  actor_user_id: string | null;
  reason: string | null;
  detail: Record<string, unknown> | string | null;
  /** The container's owner, when the event is about a container. */
  owner_user_id: string | null;
}

function detailOf(row: EventBodyRow): Record<string, unknown> {
  if (row.detail === null) return {};
  return typeof row.detail === 'string'
    ? (JSON.parse(row.detail) as Record<string, unknown>)
    : row.detail;
}

export function eventBody(row: EventBodyRow): string {
  const userId = row.owner_user_id ?? row.actor_user_id;
  const body: WebhookEventBody = {
    id: row.event_id,
    type: row.type,
    at: row.at,
    ...(row.container_id === null ? {} : { container_id: row.container_id }),
    ...(row.host_id === null ? {} : { host_id: row.host_id }),
    ...(userId === null ? {} : { user_id: userId }),
    data: { ...detailOf(row), ...(row.reason === null ? {} : { reason: row.reason }) },
  };
  return JSON.stringify(body);
}
