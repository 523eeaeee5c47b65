// What a host's health checks (sent by its agent in HELLO, PROTOCOL.md §4) mean for scheduling: a
// failed required check keeps work off the host. Storing them is hub/host-presence.ts's job and
// admin scheduling changes are services/hosts.ts's; both ask here.
import type { HostHealthCheck } from '@rexec/protocol';
import type { HostScheduling } from '../db/schema/hosts.js';

/** The checks that make the host unable to run containers; none from an agent that sends none. */
export function failedRequiredChecks(
  health: readonly HostHealthCheck[] | null | undefined,
): HostHealthCheck[] {
  return (health ?? []).filter((check) => check.required && !check.ok);
}

/**
 * Only `active` and `unhealthy` follow health: an admin's cordon or drain stays as it is (it
 * already keeps work away), and uncordoning a failing host makes it `unhealthy` (services/hosts.ts).
 */
export function schedulingAfterHello(current: HostScheduling, failing: boolean): HostScheduling {
  if (failing && current === 'active') return 'unhealthy';
  if (!failing && current === 'unhealthy') return 'active';
  return current;
}
