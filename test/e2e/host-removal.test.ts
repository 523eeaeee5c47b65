// A host removed from the real fleet leaves nothing behind (issue 15 part 9): with
// `delete_containers` its containers go first, and the revoked agent then removes what it made for
// them (pooled home volumes, user networks, its iptables guard) before it exits. Removed with its
// containers kept, the agent keeps everything of theirs, the guard that isolates them above all.
import { once } from 'node:events';
import t from 'tap';
import { hostResources } from '../../packages/agent/src/doctor/leftovers.js';
import { startFleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

void t.test('a host removed with its containers leaves nothing on the machine', async (t) => {
  const fleet = await startFleet(t);
  const { agent, hostId } = await fleet.joinAgent('e2e-removed');
  const box = await fleet.createBox(BOX);
  await fleet.containerStatus(box.id, 'running');
  const made = await hostResources({ kind: fleet.kind, hostId });
  for (const kind of ['container', 'volume', 'network', 'guard']) {
    t.ok(
      made.some((r) => r.kind === kind),
      `the host made a ${kind} (so its removal is tested)`,
    );
  }
  const exited = once(agent.process, 'exit');

  const removed = await fleet.api('DELETE', `/hosts/${hostId}?force=true&delete_containers=true`);
  t.equal(removed.status, 204);
  await exited;
  t.match(agent.output(), /this host left the fleet: removed what it made/);
  t.same(await hostResources({ kind: fleet.kind, hostId }), [], 'nothing of the host is left');
});

void t.test('a host removed with its containers kept keeps what they need', async (t) => {
  const fleet = await startFleet(t);
  const { agent, hostId } = await fleet.joinAgent('e2e-removed-kept');
  const box = await fleet.createBox(BOX);
  await fleet.containerStatus(box.id, 'running');
  const exited = once(agent.process, 'exit');

  t.equal((await fleet.api('DELETE', `/hosts/${hostId}?force=true`)).status, 204);
  await exited;
  t.match(agent.output(), /containers of this host are left/);
  const kept = await hostResources({ kind: fleet.kind, hostId });
  for (const kind of ['container', 'network', 'guard']) {
    t.ok(
      kept.some((r) => r.kind === kind),
      `its ${kind} stays`,
    );
  }
});
