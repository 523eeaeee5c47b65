// The run's leftovers check: what the run's own hosts left that was not there at its start, by
// host label and by guard chain name; resources of other runs (other host ids) are never blamed.
import t from 'tap';
import { hostGuardChains } from '../../packages/agent/src/network/host-guard.js';
import { leftovers, type Resource } from '../helpers/leftovers.js';

const ours = 'hst_00000000000000000000000000000001';
const theirs = 'hst_00000000000000000000000000000002';
const chain = hostGuardChains(ours).input;
const foreignChain = hostGuardChains(theirs).forward;

void t.test('only new resources of the run hosts are leftovers', (t) => {
  const before: Resource[] = [{ what: 'podman volume rexec-home-old', hostId: ours }];
  const now: Resource[] = [
    { what: 'podman volume rexec-home-old', hostId: ours },
    { what: 'podman network rexec-net-a', hostId: ours },
    { what: 'docker container rexec-ctr_x', hostId: theirs },
    { what: `iptables -N ${chain}`, hostId: null },
    { what: `iptables -A INPUT -s 10.0.0.0/8 -j ${chain}`, hostId: null },
    { what: `iptables -N ${foreignChain}`, hostId: null },
  ];
  t.same(leftovers(before, now, new Set([ours])), [
    `podman network rexec-net-a (host ${ours})`,
    `iptables -N ${chain}`,
    `iptables -A INPUT -s 10.0.0.0/8 -j ${chain}`,
  ]);
  t.same(leftovers(now, now, new Set([ours])), [], 'nothing new: nothing left');
  t.same(leftovers([], now, new Set()), [], 'a run without hosts blames nothing');
  t.end();
});
