// When a container will be stopped as idle, as the API shows it: the later of its start and its
// last recorded activity, plus its owner's tier's idle_stop_minutes. The same rule the idle pass
// applies in SQL (lifecycle/idle-stop.ts); activity not yet flushed moves it a little later.
import type { ContainerRow } from '../db/schema/containers.js';

export interface IdleRule {
  /** The owner's tier's idle_stop_minutes; null: never stopped for idleness. */
  minutes: number | null;
  /** How long one of those minutes lasts (60 000 outside tests). */
  minuteMs: number;
}

export const ONE_MINUTE_MS = 60_000;

export function idleStopAt(
  row: Pick<ContainerRow, 'status' | 'startedAt' | 'lastActiveAt' | 'createdAt'>,
  rule: IdleRule,
): Date | null {
  if (rule.minutes === null || row.status !== 'running') return null;
  const since = Math.max(
    row.createdAt.getTime(),
    row.startedAt?.getTime() ?? 0,
    row.lastActiveAt?.getTime() ?? 0,
  );
  return new Date(since + rule.minutes * rule.minuteMs);
}
