// A host revoked or removed through one replica while its agent's socket is on another: the
// replica that revoked cannot reach that socket, so the one holding it must notice by itself.
// Here the revocation is written to Postgres directly, as the other replica's route does, and
// this replica is never told: the agent must still be closed with 4004, on the host's next
// last_seen_at write. Before, it kept working until it reconnected or went silent.
import { CloseCode } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { revokeHostCredentials } from '../../../packages/control-plane/src/services/host-enrollment.js';
import { onlinePeer, startHubServer } from './hub-server.js';

/** Waits for the close, or says it did not come: the peer heartbeats, so silence is no cause. */
function closeWithin(closed: Promise<{ code: number }>, ms: number) {
  return Promise.race([
    closed,
    new Promise<{ code: null }>((resolve) => setTimeout(() => resolve({ code: null }), ms)),
  ]);
}

void t.test('a credential revoked by another replica closes the session here', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'revoked-elsewhere');
  await revokeHostCredentials(server.database.db, enrollment.hostId, null);
  const closed = await closeWithin(peer.closed, 20_000);
  t.equal(closed.code, CloseCode.CREDENTIAL_REVOKED, 'closed with 4004');
});

void t.test('a host removed by another replica closes the session here', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'removed-elsewhere');
  // What DELETE /hosts/:id leaves for a host without containers: no row, no credential.
  await server.database.db.execute(sql`delete from hosts where id = ${enrollment.hostId}`);
  const closed = await closeWithin(peer.closed, 20_000);
  t.equal(closed.code, CloseCode.CREDENTIAL_REVOKED, 'closed with 4004');
});

void t.test('a host whose credential is live stays connected', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer } = await onlinePeer(t, server, 'still-here');
  // Two last_seen_at writes (every 5 s of traffic) and then some.
  const closed = await closeWithin(peer.closed, 12_000);
  t.equal(closed.code, null, 'still open');
});
