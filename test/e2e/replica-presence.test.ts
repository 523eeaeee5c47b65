// Hosts show the truth about their sockets after a control plane dies without warning: each process
// holds a Postgres advisory lock while it runs (hub/replica-presence.ts), so a restarted or a second
// control plane tells a host left `online` by a dead process (unreachable at once, not after the
// silence sweep's 20 s) from one held by a live replica (left alone).
import t from 'tap';
import { Host } from '@rexec/protocol';
import { callApi } from '../helpers/rest.js';
import { startControlPlane } from '../helpers/processes.js';
import { startFleet } from './fleet.js';

void t.test(
  "a control plane restarted after SIGKILL shows the dead process's host unreachable at once",
  async (t) => {
    const fleet = await startFleet(t);
    const { agent, hostId } = await fleet.joinAgent('e2e-presence-restart');
    await fleet.restartControlPlane({
      signal: 'SIGKILL',
      // The agent goes too, so nothing reconnects: only the database's memory is left.
      whileDown: async () => {
        await agent.stop('SIGKILL');
      },
    });
    const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(host.status, 'unreachable', 'the first answer after the restart is already right');
  },
);

void t.test(
  "a second replica leaves a live replica's host alone and sweeps it once that replica dies",
  async (t) => {
    const fleet = await startFleet(t);
    const { hostId } = await fleet.joinAgent('e2e-presence-second');
    const second = await startControlPlane(t, {
      env: {
        REXEC_DATABASE_URL: fleet.databaseUrl,
        REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
      },
    });
    const viaSecond = async () =>
      Host.parse((await callApi(second.url, second.adminToken, 'GET', `/hosts/${hostId}`)).body);
    // Its start-up sweep ran before it listened, and found the first replica's lock held.
    t.equal((await viaSecond()).status, 'online', "the live replica's host stays online");
    await fleet.controlPlane.stop('SIGKILL');
    const swept = await fleet.waitFor('the second replica to sweep the host', async () => {
      const host = await viaSecond();
      return host.status === 'unreachable' ? host : undefined;
    });
    t.equal(swept.status, 'unreachable');
  },
);
