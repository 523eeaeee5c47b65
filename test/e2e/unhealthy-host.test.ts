// A host that cannot run Rexec containers says so and gets no work: a real agent whose podman
// finds no catatonit (hidden from it alone by a mount namespace, never uninstalled) joins with
// `scheduling: "unhealthy"` and the failed check named with its fix; creates answer no_capacity
// instead of ending in `error`; an uncordon keeps it unhealthy; restarted with catatonit, the same
// host turns active and runs containers.
import t from 'tap';
import { Container, Host } from '@rexec/protocol';
import { PODMAN_HELPER_DIR, hidingDirectory } from '../helpers/hidden-directory.js';
import { startAgent } from '../helpers/processes.js';
import { boxRequest, startFleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

void t.test(
  "a host without podman's init binary joins unhealthy and is never scheduled",
  async (t) => {
    const fleet = await startFleet(t, { engine: 'podman' });
    const { agent, hostId } = await fleet.joinAgent(
      'e2e-no-catatonit',
      {},
      hidingDirectory(PODMAN_HELPER_DIR),
    );

    const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(host.status, 'online');
    t.equal(host.scheduling, 'unhealthy', 'online, but the scheduler keeps work away');
    const catatonit = host.health?.find((c) => c.check === 'binary_catatonit');
    t.match(catatonit, { ok: false, required: true }, 'the failed check is on the host object');
    t.match(catatonit?.message, /install the Debian package catatonit/, 'and says what fixes it');
    t.ok(
      host.health?.filter((c) => c.check !== 'binary_catatonit').every((c) => c.ok || !c.required),
      'no other required check fails',
    );
    t.match(agent.output(), /cannot run Rexec containers.*rexec-agent doctor/, 'the agent logs it');

    const refused = await fleet.api('POST', '/containers', boxRequest(BOX));
    t.equal(refused.status, 503, 'a create is refused up front');
    t.match(refused.body, { code: 'no_capacity' });

    t.equal((await fleet.api('POST', `/hosts/${hostId}/cordon`)).status, 200);
    const uncordoned = await fleet.apiAs(Host, 'POST', `/hosts/${hostId}/uncordon`);
    t.equal(uncordoned.scheduling, 'unhealthy', 'an uncordon does not make a failing host active');

    await agent.stop();
    await startAgent(t, {
      url: fleet.controlPlane.url,
      hostName: 'e2e-no-catatonit',
      stateDir: agent.stateDir,
      env: { REXEC_RUNTIME: 'podman' },
    });
    const healed = await fleet.waitFor('the host to turn active', async () => {
      const got = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
      return got.status === 'online' && got.scheduling === 'active' ? got : undefined;
    });
    t.match(
      healed.health?.find((c) => c.check === 'binary_catatonit'),
      { ok: true },
    );

    const created = await fleet.apiAs(Container, 'POST', '/containers', boxRequest(BOX));
    t.equal(created.host_id, hostId);
    await fleet.containerStatus(created.id, 'running');
    t.pass('with catatonit back the same host runs a container');
  },
);
