// A revoked host has left the fleet for good: an admin revoked or removed it, and joining again
// makes a new host id. So has one whose credential the control plane does not know (401: the host
// was deleted, or the database does not have it), which is equally told to re-enroll. When none of its containers is left (DELETE /hosts/:id?delete_containers
// removed them first), the agent removes what it made for them before it exits: pooled home
// volumes, user networks and its host guard, so a removed host leaves nothing behind. A container
// still there keeps everything, the guard that isolates it above all.
import type { Logger } from 'pino';
import { describeLeftover, hostResources, removeLeftovers } from './doctor/leftovers.js';
import type { RuntimeKind } from './runtime/index.js';

export async function retireHost(kind: RuntimeKind, hostId: string, log: Logger): Promise<void> {
  let resources;
  try {
    resources = await hostResources({ kind, hostId });
  } catch (error) {
    log.warn({ err: error }, 'could not list what this host made; `rexec-agent purge` removes it');
    return;
  }
  const containers = resources.filter((r) => r.kind === 'container');
  if (containers.length > 0) {
    log.warn(
      { containers: containers.map((c) => c.name) },
      'containers of this host are left: keeping their networks, volumes and guard ' +
        '(`rexec-agent purge --yes` removes everything)',
    );
    return;
  }
  const removals = await removeLeftovers({ kind }, resources);
  const failed = removals.filter((r) => r.error !== undefined);
  for (const { leftover, error } of failed) {
    log.warn({ error }, `could not remove ${describeLeftover(kind, leftover)}`);
  }
  log.info(
    { removed: removals.length - failed.length, failed: failed.length },
    'this host left the fleet: removed what it made',
  );
}
