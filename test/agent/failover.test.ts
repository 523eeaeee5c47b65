// REXEC_URL with several replicas: the connection loop dials them in turn. A replica that dies (its
// sockets cut, its port closed) or shuts down (close 4008) sends the agent to the next one, a dead
// first URL does not keep the agent from the others, and the first contact (enrollment) moves on
// the same way. The replicas are scripted control plane peers sharing one host credential, as real
// replicas share one database.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { CloseCode } from '@rexec/protocol';
import { createConnectLoop } from '../../packages/agent/src/socket/connect-loop.js';
import { enroll } from '../../packages/agent/src/enroll.js';
import { capturedLog } from '../helpers/captured-log.js';
import { sampleHello, startPeer, type ControlPlanePeer } from './control-plane-peer.js';

function loopOver(urls: string[], credential: string) {
  const loop = createConnectLoop({
    urls: urls.map((url) => new URL(url)),
    credential,
    log: pino({ level: 'silent' }),
    buildHello: () => Promise.resolve(sampleHello('worker-failover')),
    usage: () => Promise.resolve({ cpu_millicores: 10, memory_mb: 100, disk_mb: 1000 }),
    onCommand: () => undefined,
    onWelcome: () => undefined,
    random: () => 0,
  });
  const running = loop.run();
  return { loop, running };
}

async function replicas(t: Test): Promise<[ControlPlanePeer, ControlPlanePeer]> {
  const first = await startPeer(t);
  const second = await startPeer(t, { replicaOf: first });
  return [first, second];
}

void t.test('the agent moves to the next replica when its own dies', async (t) => {
  const [a, b] = await replicas(t);
  const { loop, running } = loopOver([a.url, b.url], a.credential);
  t.teardown(() => loop.stop());
  await (await a.nextConnection()).next('AGENT_HELLO');
  await a.halt();
  const onB = await b.nextConnection(30_000);
  t.equal((await onB.next('AGENT_HELLO')).host_name, 'worker-failover', 'HELLO on the other one');
  await onB.next('AGENT_HEARTBEAT');
  await loop.stop();
  t.same(await running, { kind: 'stopped' });
  t.equal((await onB.closed).code, CloseCode.AGENT_SHUTTING_DOWN);
});

void t.test('a replica shutting down (4008) hands the agent on, round the list', async (t) => {
  const [a, b] = await replicas(t);
  const { loop } = loopOver([a.url, b.url], a.credential);
  t.teardown(() => loop.stop());
  const first = await a.nextConnection();
  await first.next('AGENT_HELLO');
  first.socket.close(CloseCode.SERVER_SHUTTING_DOWN, 'replica stopping');
  const second = await b.nextConnection(30_000);
  await second.next('AGENT_HELLO');
  second.socket.close(CloseCode.SERVER_SHUTTING_DOWN, 'replica stopping');
  const third = await a.nextConnection(30_000);
  await third.next('AGENT_HELLO');
  t.equal(a.connections.length, 2, 'back on the first replica, which still runs');
  t.equal(b.connections.length, 1);
});

void t.test('a dead first URL does not keep the agent from the others', async (t) => {
  const peer = await startPeer(t);
  // Nothing listens on port 9 (discard) on loopback: every dial there is refused.
  const { loop } = loopOver(['http://127.0.0.1:9', peer.url], peer.credential);
  t.teardown(() => loop.stop());
  const connection = await peer.nextConnection(30_000);
  await connection.next('AGENT_HELLO');
  t.pass('connected to the second URL');
});

void t.test('enrollment tries the next replica when one cannot be reached', async (t) => {
  const peer = await startPeer(t);
  const { log, lines } = capturedLog();
  const state = await enroll({
    urls: [new URL('http://127.0.0.1:9/'), new URL(peer.url)],
    joinToken: peer.joinToken,
    hostName: 'worker-failover',
    log,
  });
  t.equal(state.credential, peer.credential, 'enrolled through the second');
  t.equal(peer.enrollments.length, 1);
  t.match(lines[0], {
    msg: 'enrollment failed; retrying',
    err: { message: /cannot reach http:\/\/127\.0\.0\.1:9\// },
  });
});
