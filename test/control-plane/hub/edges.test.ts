// The hub's and enrollment's error paths against a real control plane and Postgres: a socket that
// upgrades but never says HELLO, an oversized message on a live socket, an upgrade while the
// database is down, an enrollment whose transaction dies midway (the join token stays unused), and
// two enrollments racing with one join token. The agent side is the scripted peer (agent-peer.ts).
import { CloseCode, ErrorBody, MAX_AGENT_MESSAGE_BYTES } from '@rexec/protocol';
import t from 'tap';
import { createJoinToken } from '../../../packages/control-plane/src/services/hosts.js';
import { bringBack, databaseName, takeDown, waitingOnLock } from '../../helpers/database-outage.js';
import { call } from '../http/server.js';
import { AgentPeer, UpgradeRefused } from './agent-peer.js';
import { enroll, eventually, hostRow, onlinePeer, startHubServer } from './hub-server.js';

const enrollBody = { host_name: 'edge', agent_version: '0.1.0', protocol_version: 1 };

void t.test('a socket that never says HELLO is closed with 4010', async (t) => {
  const server = await startHubServer(t, 'pg', { handshakeTimeoutMs: 300, watchdogTickMs: 100 });
  const { credential, hostId } = await enroll(server, 'mute');
  const mute = await AgentPeer.connect(server.url, credential);
  t.teardown(() => mute.ws.terminate());
  t.equal((await mute.closed).code, CloseCode.HANDSHAKE_TIMEOUT);
  t.not((await hostRow(server, hostId))?.status, 'online', 'never online');
  const back = await AgentPeer.connect(server.url, credential);
  t.teardown(() => back.ws.terminate());
  await back.hello({ hostName: 'mute' });
  t.equal((await hostRow(server, hostId))?.status, 'online', 'a later HELLO is taken');
});

void t.test('an oversized message on a live socket closes it with 4002', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'chatty');
  peer.sendRaw(
    JSON.stringify({ type: 'AGENT_HEARTBEAT', pad: 'x'.repeat(MAX_AGENT_MESSAGE_BYTES) }),
  );
  t.equal((await peer.next('CONTROL_REFUSE', undefined, 30_000)).code, 'message_too_large');
  t.equal((await peer.closed).code, CloseCode.MESSAGE_TOO_LARGE);
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
    30_000,
  );
});

void t.test('an agent upgrade while the database is down is refused with 503', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { credential } = await enroll(server, 'patient');
  const pool = server.database.pool;
  if (pool === undefined) throw new Error('the pg driver has a pool');
  const name = await databaseName(pool);
  await takeDown(name);
  t.teardown(() => bringBack(name));
  const refused = await AgentPeer.connect(server.url, credential).then(
    () => null,
    (error: unknown) => error,
  );
  t.type(refused, UpgradeRefused);
  if (!(refused instanceof UpgradeRefused)) return;
  t.equal(refused.status, 503);
  t.equal(ErrorBody.parse(refused.body).code, 'unavailable');
  await bringBack(name);
  const peer = await eventually(() =>
    AgentPeer.connect(server.url, credential).catch(() => undefined),
  );
  t.teardown(() => peer.ws.terminate());
  await peer.hello({ hostName: 'patient' });
  t.pass('the same credential connects once the database is back');
});

void t.test(
  'an enrollment whose transaction dies midway leaves its join token unused',
  async (t) => {
    const server = await startHubServer(t, 'pg');
    const pool = server.database.pool;
    if (pool === undefined) throw new Error('the pg driver has a pool');
    const name = await databaseName(pool);
    const { token } = await createJoinToken(server.database.db, { createdBy: null });
    // The transaction marks the token used and inserts the host, then waits on this lock.
    const locker = await pool.connect();
    locker.on('error', () => undefined); // its session is ended below, on purpose
    await locker.query('begin');
    await locker.query('lock table host_credentials in access exclusive mode');
    const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid'))
      .rows[0]?.pid as number;
    const enrolling = call(server, 'POST', '/api/v1/agent/enroll', { token, json: enrollBody });
    await eventually(() => waitingOnLock(name), 60_000, 'the enrollment waiting on the lock');
    // The locker is ended only after the enrollment's session: ended first, it would hand the
    // lock over, and the enrollment could commit before its own end reached it (seen in CI).
    await takeDown(name, [lockerPid]);
    locker.release(true);
    const answer = await enrolling;
    t.equal(answer.status, 503);
    t.equal(ErrorBody.parse(answer.body).code, 'unavailable');
    await bringBack(name);
    const again = await eventually(async () => {
      const retried = await call(server, 'POST', '/api/v1/agent/enroll', {
        token,
        json: enrollBody,
      });
      return retried.status === 503 ? false : retried;
    }, 60_000);
    t.equal(again.status, 201, 'the token was rolled back with the rest, so the retry enrolls');
    const named = await pool.query("select count(*)::int as n from hosts where name = 'edge'");
    t.equal(named.rows[0]?.n, 1, 'one host, none half-made by the first attempt');
  },
);

void t.test('two enrollments racing with one join token: one host, one refusal', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { token } = await createJoinToken(server.database.db, { createdBy: null });
  const answers = await Promise.all(
    [1, 2].map(() => call(server, 'POST', '/api/v1/agent/enroll', { token, json: enrollBody })),
  );
  t.same(answers.map((a) => a.status).sort(), [201, 401]);
  const refused = answers.find((a) => a.status === 401);
  t.equal(ErrorBody.parse(refused?.body).code, 'unauthorized');
  const pool = server.database.pool;
  const named = await pool?.query("select count(*)::int as n from hosts where name = 'edge'");
  t.equal(named?.rows[0]?.n, 1, 'one host');
});
