// The agent hub over real sockets: enrollment, credential checks before the upgrade, the
// handshake, one session per host, protocol violations closing only the offending socket, and
// liveness (silence, close, GOODBYE). The agent side is a scripted peer (agent-peer.ts).
import {
  CloseCode,
  ErrorBody,
  HEARTBEAT_TIMEOUT_MS,
  PROTOCOL_VERSION,
  UNREACHABLE_DEADLINE_MS,
} from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { createJoinToken } from '../../../packages/control-plane/src/services/hosts.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { call } from '../http/server.js';
import { AgentPeer, helloMessage, UpgradeRefused } from './agent-peer.js';
import { enroll, eventually, hostRow, onlinePeer, startHubServer } from './hub-server.js';

const enrollBody = { host_name: 'worker-1', agent_version: '0.1.0', protocol_version: 1 };

for (const driver of DB_DRIVERS) {
  void t.test(`agent hub on ${driver}`, async (t) => {
    const server = await startHubServer(t, driver);

    void t.test('a join token is single use and yields a working credential', async (t) => {
      const { token } = await createJoinToken(server.database.db, { createdBy: null });
      const first = await call(server, 'POST', '/api/v1/agent/enroll', { token, json: enrollBody });
      t.equal(first.status, 201);
      t.match(first.body, { host_id: /^hst_[0-9a-f]{32}$/, host_name: 'worker-1' });
      const again = await call(server, 'POST', '/api/v1/agent/enroll', { token, json: enrollBody });
      t.equal(again.status, 401);
      t.equal(ErrorBody.parse(again.body).code, 'unauthorized');
      const stored = await server.database.db.execute(
        sql`select credential_hash from host_credentials where host_id = ${first.body.host_id}`,
      );
      const hashes = (stored as { rows: { credential_hash: string }[] }).rows;
      t.equal(hashes.length, 1);
      t.not(hashes[0]?.credential_hash, first.body.credential, 'only the hash is stored');
      const peer = await AgentPeer.connect(server.url, first.body.credential as string);
      t.teardown(() => peer.ws.terminate());
      t.equal(peer.ws.protocol, 'rexec.agent.v1');
      const welcome = await peer.hello({ hostName: 'worker-1' });
      t.match(welcome, {
        protocol_version: PROTOCOL_VERSION,
        host_id: first.body.host_id,
        host_name: 'worker-1',
        heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS,
      });
      const host = await hostRow(server, first.body.host_id as string);
      t.equal(host?.status, 'online');
      t.equal(host?.capacity_cpu_millicores, 64_000);
      t.ok(host?.last_seen_at);
    });

    void t.test('an expired or unknown join token is refused', async (t) => {
      const { token } = await createJoinToken(server.database.db, {
        createdBy: null,
        expiresInSeconds: 1,
      });
      await server.database.db.execute(
        sql`update host_join_tokens set expires_at = now() - interval '1 second'`,
      );
      const expired = await call(server, 'POST', '/api/v1/agent/enroll', {
        token,
        json: enrollBody,
      });
      t.equal(expired.status, 401);
      const unknown = await call(server, 'POST', '/api/v1/agent/enroll', {
        token: `rexec_join_${'0'.repeat(64)}`,
        json: enrollBody,
      });
      t.equal(unknown.status, 401);
      const none = await call(server, 'POST', '/api/v1/agent/enroll', { json: enrollBody });
      t.equal(none.status, 401);
    });

    void t.test('a wrong or missing credential gets HTTP 401 before any upgrade', async (t) => {
      for (const credential of [`rexec_host_${'1'.repeat(64)}`, 'garbage', undefined]) {
        const refused = await AgentPeer.connect(server.url, credential).then(
          () => t.fail('upgraded'),
          (error: unknown) => error,
        );
        t.ok(refused instanceof UpgradeRefused);
        if (!(refused instanceof UpgradeRefused)) continue;
        t.equal(refused.status, 401);
        t.equal(ErrorBody.parse(refused.body).code, 'unauthorized');
      }
    });

    void t.test(
      'a malformed frame, unknown type or misshapen message closes only that socket with 4001',
      async (t) => {
        const { peer: bystander, enrollment } = await onlinePeer(t, server, 'bystander');
        // Valid JSON of a known type but the wrong shape is refused as surely as broken JSON.
        const misshapen = JSON.stringify({ type: 'AGENT_COMMAND_RESULT', command_id: 'cmd_1' });
        for (const bad of ['{not json', JSON.stringify({ type: 'AGENT_DANCE' }), misshapen]) {
          const { peer: offender } = await onlinePeer(t, server, 'offender');
          offender.sendRaw(bad);
          const refuse = await offender.next('CONTROL_REFUSE');
          t.equal(refuse.code, 'protocol_violation');
          t.equal((await offender.closed).code, CloseCode.PROTOCOL_VIOLATION);
        }
        bystander.heartbeat(0);
        t.equal((await bystander.next('CONTROL_HEARTBEAT_ACK')).seq, 0);
        t.equal((await hostRow(server, enrollment.hostId))?.status, 'online');
      },
    );

    void t.test('anything before HELLO is a protocol violation', async (t) => {
      const { credential } = await enroll(server, 'eager');
      const peer = await AgentPeer.connect(server.url, credential);
      peer.heartbeat(0);
      t.equal((await peer.closed).code, CloseCode.PROTOCOL_VIOLATION);
    });

    void t.test('an unsupported protocol version is refused by name with 4005', async (t) => {
      const { credential, hostId } = await enroll(server, 'future');
      const peer = await AgentPeer.connect(server.url, credential);
      peer.send(helloMessage({ protocolVersion: 2 }));
      const refuse = await peer.next('CONTROL_REFUSE');
      t.equal(refuse.code, 'unsupported_protocol_version');
      t.same(refuse.supported_protocol_versions, [1]);
      t.equal((await peer.closed).code, CloseCode.UNSUPPORTED_PROTOCOL_VERSION);
      t.equal((await hostRow(server, hostId))?.status, 'unreachable');
    });

    void t.test('a second connection for a host replaces the first with 4006', async (t) => {
      const { enrollment, peer: first } = await onlinePeer(t, server, 'twice');
      const second = await AgentPeer.connect(server.url, enrollment.credential);
      t.teardown(() => second.ws.terminate());
      t.equal((await first.closed).code, CloseCode.REPLACED);
      await second.hello({ hostName: 'twice' });
      second.heartbeat(0);
      await second.next('CONTROL_HEARTBEAT_ACK');
      t.equal((await hostRow(server, enrollment.hostId))?.status, 'online');
    });

    void t.test('a closed socket or a GOODBYE makes the host unreachable at once', async (t) => {
      const { enrollment, peer } = await onlinePeer(t, server, 'leaver');
      peer.ws.terminate();
      await eventually(
        async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
      );
      const polite = await onlinePeer(t, server, 'polite');
      polite.peer.send({ type: 'AGENT_GOODBYE', reason: 'shutdown' });
      await eventually(
        async () => (await hostRow(server, polite.enrollment.hostId))?.status === 'unreachable',
      );
      await polite.peer.close(CloseCode.AGENT_SHUTTING_DOWN);
      const events = await server.database.db.execute(
        sql`select reason from events where host_id = ${polite.enrollment.hostId}
            and type = 'host.unreachable'`,
      );
      t.same((events as { rows: unknown[] }).rows, [{ reason: 'agent_shutdown' }]);
    });
  });
}

// A busy machine may sweep late, so the ceiling is generous and only the early side is checked:
// the peer's last message (its HELLO) left after `connecting`, so no correct hub gives up on it
// sooner than HEARTBEAT_TIMEOUT_MS after that, however slow this machine is.
void t.test('a silent host is unreachable after the deadline and closed with 4007', async (t) => {
  const server = await startHubServer(t, 'pg');
  const connecting = Date.now();
  const { peer, enrollment } = await onlinePeer(t, server, 'silent', { silent: true });
  await eventually(
    async () => (await hostRow(server, enrollment.hostId))?.status === 'unreachable',
    UNREACHABLE_DEADLINE_MS * 6,
    'unreachable',
  );
  t.ok(Date.now() - connecting >= HEARTBEAT_TIMEOUT_MS, 'not before HEARTBEAT_TIMEOUT_MS');
  t.equal((await peer.closed).code, CloseCode.HEARTBEAT_TIMEOUT);
});

void t.test('stop closes agent sockets with SERVER_SHUTTING_DOWN', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { peer, enrollment } = await onlinePeer(t, server, 'shutdown');
  await server.hub.stop();
  t.equal((await peer.closed).code, CloseCode.SERVER_SHUTTING_DOWN);
  t.equal((await hostRow(server, enrollment.hostId))?.status, 'unreachable');
});

void t.test('hosts left online by a crashed replica are swept to unreachable', async (t) => {
  const server = await startHubServer(t, 'pg');
  const { hostId } = await enroll(server, 'ghost');
  await server.database.db.execute(
    sql`update hosts set status = 'online', last_seen_at = now() - interval '1 minute'
        where id = ${hostId}`,
  );
  const { enrollment } = await onlinePeer(t, server, 'alive');
  await eventually(async () => (await hostRow(server, hostId))?.status === 'unreachable', 10_000);
  t.equal((await hostRow(server, enrollment.hostId))?.status, 'online', 'a served host stays');
});
