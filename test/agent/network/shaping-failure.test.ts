// What a create does when shaping cannot happen: with a shaper that fails (here nsenter is a
// path that does not exist) the create fails naming the limit and leaves no container running
// unshaped; on a host without shaping (no shaper, reported in HELLO) the limit is only a label.
import t from 'tap';
import { createTcShaper } from '../../../packages/agent/src/network/index.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { parseSubnetPool } from '../../../packages/agent/src/runtime/subnet-pool.js';
import { rejectionOf } from '../../helpers/net.js';
import { removeByHost, testLogger } from '../runtime/fixture.js';
import { claimPool, makeNetHost, netSpec, networkEngines } from './fixture.js';

for (const kind of await networkEngines(t)) {
  void t.test(
    `${kind}: a create whose shaping fails is refused and leaves nothing running`,
    async (t) => {
      const { hostId, pool } = makeNetHost(t, kind);
      const runtime = createCliRuntime({
        kind,
        hostId,
        log: testLogger(),
        userNetworkPool: pool,
        shaper: createTcShaper({ nsenter: '/nonexistent/nsenter' }),
      });
      const spec = netSpec({ runtime, kind, hostId, pool }, { networkMbps: 8 });
      const error = await rejectionOf(runtime.createAndStart(spec), RuntimeError);
      t.match(error.message, new RegExp(`could not limit rexec-${spec.containerId} to 8 Mbit/s`));
      t.equal(await runtime.inspect(spec.containerId), null, 'the container was removed');
    },
  );

  void t.test(`${kind}: without a shaper the limit is recorded but not applied`, async (t) => {
    const hostId = `noshape-${Date.now().toString(36)}`;
    const claim = claimPool(kind);
    t.teardown(async () => {
      await removeByHost(kind, hostId);
      claim.release();
    });
    const pool = parseSubnetPool(claim.cidr, 28);
    const runtime = createCliRuntime({ kind, hostId, log: testLogger(), userNetworkPool: pool });
    const spec = netSpec({ runtime, kind, hostId, pool }, { networkMbps: 8 });
    const created = await runtime.createAndStart(spec);
    t.equal(created.state, 'running');
    t.equal(created.labels['io.rexec.network-mbps'], '8');
  });
}
