// DELETE /hosts/:id over the real hub and Postgres with a scripted agent (../hub/agent-peer.ts):
// refused while online unless forced, containers kept as error/host_removed (or deleted, on the
// host too when it is connected), quota given back, the credential revoked and the socket closed.
import { CloseCode } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { call, newUser } from '../http/server.js';
import { AgentPeer, type Closed } from '../hub/agent-peer.js';
import { eventually, hostRow, onlinePeer } from '../hub/hub-server.js';
import { startHubServer } from '../hub/hub-server.js';
import { runningContainer, show, usedContainers } from './placed-containers.js';

void t.test(
  'an online host is removed only when forced, and its containers stay as errors',
  async (t) => {
    const server = await startHubServer(t, 'pg');
    const { peer, enrollment } = await onlinePeer(t, server, 'leaving');
    const user = await newUser(server, 'hana');
    const first = await runningContainer(server, peer, user.token);
    const second = await runningContainer(server, peer, user.token);
    t.equal(await usedContainers(server, user.token), 2);
    const admin = { token: server.adminToken };
    const path = `/api/v1/hosts/${enrollment.hostId}`;

    const refused = await call(server, 'DELETE', path, admin);
    t.equal(refused.status, 409);
    t.match(refused.body, { code: 'invalid_state', status: 'online', error: /force=true/ });
    t.ok(await hostRow(server, enrollment.hostId), 'the host is still there');
    t.equal(
      (await call(server, 'DELETE', `${path}?force=maybe`, admin)).status,
      400,
      'a flag is true or false',
    );

    const closed: Promise<Closed> = peer.closed;
    const removed = await call(server, 'DELETE', `${path}?force=true`, admin);
    t.equal(removed.status, 204);
    t.equal((await closed).code, CloseCode.CREDENTIAL_REVOKED, 'the live socket is closed');
    t.equal((await call(server, 'GET', path, admin)).status, 404);
    for (const id of [first, second]) {
      const container = await show(server, user.token, id);
      t.match(container, { status: 'error', status_reason: 'host_removed' });
      t.notOk('host_id' in container && container.host_id, 'no host any more');
    }
    t.equal(await usedContainers(server, user.token), 0, 'they no longer count against the quota');
    await t.rejects(
      AgentPeer.connect(server.url, enrollment.credential),
      { message: /HTTP 401/ },
      'the credential is revoked',
    );
    const deleted = await call(server, 'DELETE', `/api/v1/containers/${first}`, {
      token: user.token,
    });
    t.equal(deleted.status, 204, 'a container whose host was removed is deleted at once');
    const events = await selectRows<{ reason: string }>(
      server.database.db,
      sql`select reason from events where type = 'host.removed' and host_id = ${enrollment.hostId}`,
    );
    t.same(events, [{ reason: 'user' }]);
  },
);

void t.test('delete_containers removes them on a connected host and forgets them', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'purged');
  const user = await newUser(server, 'ivo');
  const id = await runningContainer(server, peer, user.token);
  const removal = call(
    server,
    'DELETE',
    `/api/v1/hosts/${enrollment.hostId}?force=true&delete_containers=true`,
    { token: server.adminToken },
  );
  const remove = await peer.command((c) => c.container_id === id);
  t.same(remove.command, { action: 'remove', remove_volume: true });
  peer.succeed(remove, 'missing');
  t.equal((await removal).status, 204);
  t.equal(
    (await call(server, 'GET', `/api/v1/containers/${id}`, { token: user.token })).status,
    404,
  );
  t.equal(await usedContainers(server, user.token), 0);
});

void t.test('an unreachable host is removed without force', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'gone');
  const user = await newUser(server, 'jon');
  const id = await runningContainer(server, peer, user.token);
  peer.ws.terminate();
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
  );
  const answer = await call(
    server,
    'DELETE',
    `/api/v1/hosts/${enrollment.hostId}?delete_containers=true`,
    { token: server.adminToken },
  );
  t.equal(answer.status, 204);
  t.equal(
    (await call(server, 'GET', `/api/v1/containers/${id}`, { token: user.token })).status,
    404,
  );
  const events = await selectRows<{ reason: string }>(
    server.database.db,
    sql`select reason from events where type = 'container.deleted' and container_id = ${id}`,
  );
  t.same(events, [{ reason: 'host_removed' }]);
  t.equal(
    (
      await call(server, 'DELETE', `/api/v1/hosts/${enrollment.hostId}`, {
        token: server.adminToken,
      })
    ).status,
    404,
    'a second removal finds nothing',
  );
});
