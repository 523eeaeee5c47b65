// Two real agents on this one machine as two hosts of a fleet (own host names, capacity overrides):
// placement strategies, exhaustion and cordoning, observed through the REST API.
import t from 'tap';
import { Container } from '@rexec/protocol';
import { boxRequest, startFleet, type Fleet } from './fleet.js';

const SMALL_HOST = {
  REXEC_CAPACITY_CPU_MILLICORES: '1000',
  REXEC_CAPACITY_MEMORY_MB: '4096',
  REXEC_CAPACITY_DISK_MB: '40960',
};
const HALF_HOST = { cpu_millicores: 500, memory_mb: 128, disk_mb: 512 };

async function create(fleet: Fleet): Promise<{ status: number; hostId?: string; code?: string }> {
  const answer = await fleet.api('POST', '/containers', boxRequest(HALF_HOST));
  if (answer.status !== 202) {
    return { status: answer.status, code: (answer.body as { code?: string }).code };
  }
  const container = Container.parse(answer.body);
  await fleet.containerStatus(container.id, 'running');
  return { status: answer.status, hostId: container.host_id };
}

void t.test(
  'binpack fills one host first, a cordoned host gets nothing, a full fleet is 503',
  async (t) => {
    // Without CPU overcommit two half-core boxes fill a one-core host, so "full" comes quickly.
    const fleet = await startFleet(t, { env: { REXEC_CPU_OVERCOMMIT: '1' } });
    const a = await fleet.joinAgent('e2e-binpack-a', SMALL_HOST);
    const b = await fleet.joinAgent('e2e-binpack-b', SMALL_HOST);

    const first = await create(fleet);
    const second = await create(fleet);
    t.equal(second.hostId, first.hostId, 'the second container joins the first on the fuller host');
    const other = first.hostId === a.hostId ? b.hostId : a.hostId;

    t.equal((await fleet.api('POST', `/hosts/${other}/cordon`)).status, 200);
    const refused = await create(fleet);
    t.same(refused, { status: 503, code: 'no_capacity' }, 'full host plus cordoned host: no room');

    t.equal((await fleet.api('POST', `/hosts/${other}/uncordon`)).status, 200);
    const third = await create(fleet);
    t.equal(third.hostId, other, 'after uncordon the other host takes the next one');
    await create(fleet);
    const exhausted = await create(fleet);
    t.same(exhausted, { status: 503, code: 'no_capacity' }, 'both hosts full');
  },
);

void t.test('spread alternates between hosts', async (t) => {
  const fleet = await startFleet(t, { env: { REXEC_SCHEDULER_STRATEGY: 'spread' } });
  await fleet.joinAgent('e2e-spread-a', SMALL_HOST);
  await fleet.joinAgent('e2e-spread-b', SMALL_HOST);
  const first = await create(fleet);
  const second = await create(fleet);
  t.ok(first.hostId !== undefined && second.hostId !== undefined, 'both placed');
  t.not(second.hostId, first.hostId, 'the second container goes to the emptier host');
});
