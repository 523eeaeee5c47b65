// Any replica can do anything to any host (issue 17): three control plane replicas (real processes)
// on one Postgres, two real agents, one with its socket on B and one on C, and every operation sent
// through each replica in turn to a host whose agent socket another replica holds. Through each:
// a drain (the create that follows lands on the other host, the one aimed at), a create, a stop
// and a start (the engine agrees each time), and a terminal whose socket is dropped and which
// resumes through a third replica with its shell and scrollback (within the second it was opened,
// which was refused as a replayed forward signature before signatures had a nonce). Then the three
// containers' sessions expire at once and each is stopped by the reaper of the replica holding its
// host (how long after the expiry is printed beside the reaper interval, not asserted); each is
// deleted through the replica that created it; and each replica revokes a host whose socket
// another one holds, whose agent is cut off and exits.
import t, { type Test } from 'tap';
import { Container, EventList, Host } from '@rexec/protocol';
import { TerminalClient } from '../control-plane/terminal/terminal-client.js';
import { REAPER_INTERVAL_MS } from '../../packages/control-plane/src/lifecycle/session-reaper.js';
import type { Agent } from '../helpers/processes.js';
import { boxRequest } from './fleet.js';
import { engineStates, startReplicaTrio, type Replica, type ReplicaTrio } from './replica-trio.js';
import { checkResumed, markShell } from './shell-resume.js';

t.setTimeout(600_000);

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

interface Joined {
  agent: Agent;
  hostId: string;
}

interface Round {
  /** Every call of the round goes through this replica. */
  via: Replica;
  /** Where the create must land: a host whose agent socket another replica holds. */
  target: Joined;
  /** Drained through `via` for the round, so that the create lands on `target`. */
  other: Joined;
  /** Resumes the terminal: neither `via` nor the replica holding `target`. */
  resume: Replica;
}

async function schedule(t: Test, via: Replica, hostId: string, action: 'drain' | 'uncordon') {
  const answer = await via.api('POST', `/hosts/${hostId}/${action}`);
  t.equal(answer.status, 200, `${action} through ${via.name}`, { body: answer.body });
  t.equal(Host.parse(answer.body).scheduling, action === 'drain' ? 'draining' : 'active');
}

/** The round's other host drained through its replica for the round, and made active after. */
async function operationsThrough(t: Test, trio: ReplicaTrio, round: Round): Promise<Container> {
  const { via, target, other } = round;
  const started = Date.now();
  t.not(await trio.holderOf(target.hostId), via.plane.url, `the socket is not on ${via.name}`);
  await schedule(t, via, other.hostId, 'drain');
  try {
    return await createAndUse(t, trio, round);
  } finally {
    await schedule(t, via, other.hostId, 'uncordon');
    t.comment(`the round through ${via.name} took ${Date.now() - started} ms`);
  }
}

/** Create, stop, start and a terminal resumed elsewhere, all through `round.via`. */
async function createAndUse(t: Test, trio: ReplicaTrio, round: Round): Promise<Container> {
  const { fleet } = trio;
  const { via, target, resume } = round;
  const created = await via.api('POST', '/containers', boxRequest(BOX));
  t.equal(created.status, 202, `create through ${via.name}`, { body: created.body });
  const box = Container.parse(created.body);
  const running = await fleet.containerStatus(box.id, 'running', 60_000, via.plane);
  t.equal(running.host_id, target.hostId, 'placed on the host that is not draining');
  t.equal(await engineStates(fleet.kind, box.id), 'running', 'the engine runs it');

  const actions = [
    ['stop', 'stopped', 'exited'],
    ['start', 'running', 'running'],
  ] as const;
  for (const [action, status, engineState] of actions) {
    const answer = await via.api('POST', `/containers/${box.id}/${action}`);
    t.equal(answer.status, 200, `${action} through ${via.name}`, { body: answer.body });
    t.equal(Container.parse(answer.body).status, status);
    t.equal(await engineStates(fleet.kind, box.id), engineState, 'and the engine agrees');
  }

  const session = `every-${via.name}`;
  const connect = (through: Replica) =>
    TerminalClient.connect(through.plane.url, box.id, { token: through.plane.adminToken, session });
  const first = await connect(via);
  const shell = await markShell(first, session, `through-${via.name.toLowerCase()}`);
  t.pass(`a terminal opened through ${via.name} runs the shell`);
  first.ws.terminate();
  await checkResumed(t, await connect(resume), shell);
  t.pass(`and resumed through ${resume.name} once its socket was dropped`);
  return box;
}

void t.test('every operation through each of three replicas', async (t) => {
  const trio = await startReplicaTrio(t);
  const { fleet } = trio;
  const [a, b, c] = trio.replicas;
  const onB = await fleet.joinAgent('e2e-every-b', { REXEC_URL: b.plane.url });
  const onC = await fleet.joinAgent('e2e-every-c', { REXEC_URL: c.plane.url });
  t.equal(await trio.holderOf(onB.hostId), b.plane.url, "B holds one agent's socket");
  t.equal(await trio.holderOf(onC.hostId), c.plane.url, "and C the other's");

  const rounds: Round[] = [
    { via: a, target: onB, other: onC, resume: c },
    { via: b, target: onC, other: onB, resume: a },
    { via: c, target: onB, other: onC, resume: a },
  ];
  const made: { via: Replica; box: Container }[] = [];
  for (const round of rounds) {
    await t.test(
      `create, stop, start, drain and a terminal through ${round.via.name}`,
      async (t) => {
        made.push({ via: round.via, box: await operationsThrough(t, trio, round) });
      },
    );
  }

  await t.test(
    'expired sessions are stopped, each on a host that another replica holds',
    async (t) => {
      const expiredAt = Date.now();
      await trio.query(`update containers set session_expires_at = now() where id = any($1)`, [
        made.map(({ box }) => box.id),
      ]);
      for (const { via, box } of made) {
        // Generous: the holder's reaper passes every REAPER_INTERVAL_MS; the time is printed.
        const stopped = await fleet.containerStatus(
          box.id,
          'stopped',
          3 * REAPER_INTERVAL_MS,
          via.plane,
        );
        t.comment(
          `${box.id} stopped ${Date.now() - expiredAt} ms after its session expired ` +
            `(reaper interval ${REAPER_INTERVAL_MS} ms)`,
        );
        t.equal(stopped.status_reason, 'session_expired', `as ${via.name} shows it`);
        t.equal(await engineStates(fleet.kind, box.id), 'exited', 'and the engine agrees');
        const events = EventList.parse(
          (await via.api('GET', `/events?container_id=${box.id}&type=container.stopped`)).body,
        );
        t.same(
          events.events.map((event) => event.data['reason']),
          ['user', 'session_expired'],
          "one stop for the user's, one for the expiry",
        );
      }
    },
  );

  await t.test('each container deleted through the replica that created it', async (t) => {
    for (const { via, box } of made) {
      const removed = await via.api('DELETE', `/containers/${box.id}`);
      t.ok([202, 204].includes(removed.status), `delete through ${via.name}: ${removed.status}`);
      await fleet.waitFor(`${box.id} gone as ${via.name} says`, async () =>
        (await via.api('GET', `/containers/${box.id}`)).status === 404 ? true : undefined,
      );
      await fleet.waitFor(`${box.id} gone from the engine`, async () =>
        (await engineStates(fleet.kind, box.id)) === '' ? true : undefined,
      );
      t.pass(`${box.id} is gone, and the engine has nothing left of it`);
    }
  });

  await t.test('each replica revokes a host whose socket another one holds', async (t) => {
    const onA = await fleet.joinAgent('e2e-every-a', { REXEC_URL: a.plane.url });
    const revokes: [Replica, Joined][] = [
      [a, onB],
      [b, onC],
      [c, onA],
    ];
    for (const [via, host] of revokes) {
      t.not(await trio.holderOf(host.hostId), via.plane.url, `the socket is not on ${via.name}`);
      const answer = await via.api('POST', `/hosts/${host.hostId}/revoke`);
      t.equal(answer.status, 200, `revoke through ${via.name}`, { body: answer.body });
      const code = await fleet.waitFor(
        'the revoked agent to exit',
        () => Promise.resolve(host.agent.process.exitCode ?? undefined),
        30_000,
      );
      t.not(code, 0, 'its agent exited non-zero');
      t.match(host.agent.output(), /credential_revoked/, 'because its credential was revoked');
      await fleet.waitFor(`${via.name} to show the host unreachable`, async () => {
        const seen = Host.parse((await via.api('GET', `/hosts/${host.hostId}`)).body);
        return seen.status === 'unreachable' ? true : undefined;
      });
      t.pass(`and ${via.name} shows the host unreachable`);
    }
  });
});
