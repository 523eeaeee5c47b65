// Revoking a host on the real fleet: the admin route cuts the live agent off with 4004, the agent
// exits non-zero with a line that says why instead of retrying, and its saved credential no longer
// connects. Unknown hosts are 404 and a second revoke is a no-op.
import { once } from 'node:events';
import t from 'tap';
import { Host } from '@rexec/protocol';
import { startAgent } from '../helpers/processes.js';
import { startFleet } from './fleet.js';

void t.test('a revoked host is cut off and its agent stops for good', async (t) => {
  const fleet = await startFleet(t);
  const { agent, hostId } = await fleet.joinAgent('e2e-revoked');
  const exited = once(agent.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const revoked = await fleet.apiAs(Host, 'POST', `/hosts/${hostId}/revoke`);
  t.equal(revoked.id, hostId);
  t.equal(revoked.status, 'unreachable', 'the answer already shows the host unreachable');

  const [code, signal] = await exited;
  t.equal(signal, null, 'the agent exited by itself');
  t.not(code, 0, 'with a non-zero code');
  t.match(agent.output(), /credential_revoked/, 'its log says the credential was revoked');
  t.match(agent.output(), /revoked this host/, 'and carries the control plane explanation');

  await t.rejects(
    startAgent(t, {
      url: fleet.controlPlane.url,
      hostName: 'e2e-revoked',
      stateDir: agent.stateDir,
    }),
    /exited/,
    'the saved credential no longer connects: the agent exits instead of retrying',
  );

  const again = await fleet.api('POST', `/hosts/${hostId}/revoke`);
  t.equal(again.status, 200, 'revoking again is a no-op');
  const after = await fleet.api('GET', `/hosts/${hostId}`);
  t.equal((after.body as { status?: string }).status, 'unreachable', 'and stays unreachable');

  const unknown = await fleet.api('POST', '/hosts/hst_00000000000000000000000000000000/revoke');
  t.equal(unknown.status, 404, 'an unknown host is 404');
});
