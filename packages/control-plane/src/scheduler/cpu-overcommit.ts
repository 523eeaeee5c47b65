// CPU overcommit (REXEC_CPU_OVERCOMMIT): how far a host's CPU reservations may go past its CPU
// capacity. CPU limits are ceilings on a share of time, not memory held, so idle containers cost
// nothing; memory and disk are never overcommitted. The same rule runs in SQL (migration 0010),
// in whole percent so both sides compute the same integer.
import type { Resources } from './resources.js';

export const DEFAULT_CPU_OVERCOMMIT = 4;
/** The highest multiplier accepted; more than this is a typo, not a plan. */
export const MAX_CPU_OVERCOMMIT = 100;

const MAX_INT4 = 2_147_483_647;

/** The multiplier as the whole percent the SQL functions take (4 → 400, 1.5 → 150). */
export function overcommitPercent(multiplier: number): number {
  return Math.round(multiplier * 100);
}

/** What a host may have reserved: CPU scaled by the overcommit, memory and disk as they are. */
export function schedulableOf(capacity: Resources, cpuOvercommitPercent: number): Resources {
  return {
    cpuMillicores: Math.min(
      Math.floor((capacity.cpuMillicores * cpuOvercommitPercent) / 100),
      MAX_INT4,
    ),
    memoryMb: capacity.memoryMb,
    diskMb: capacity.diskMb,
  };
}
