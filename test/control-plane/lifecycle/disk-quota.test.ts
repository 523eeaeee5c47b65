// A disk quota enforced by the agent, as the control plane records it: the warning while the
// container still runs is an events row, the stop that follows is `stopped` with reason
// `disk_quota_exceeded`, and the engine's own exit report, before or after, never hides that reason.
// The agent is a scripted peer (../hub/agent-peer.ts); the running containers are rows on its host.
import { Container, type AgentContainerStatus } from '@rexec/protocol';
import t from 'tap';
import { sql } from '../../../packages/control-plane/src/db/index.js';
import { selectRows } from '../../../packages/control-plane/src/db/rows.js';
import { DB_DRIVERS } from '../../helpers/postgres.js';
import { insertContainer } from '../http/rows.js';
import { call, newUser } from '../http/server.js';
import { observed, type AgentPeer } from '../hub/agent-peer.js';
import { eventually, onlinePeer, startHubServer, type HubServer } from '../hub/hub-server.js';

const OVER = 'disk use 210 MB is over the 64 MB limit';

function report(
  id: string,
  state: 'running' | 'exited',
  reason: string,
  detail?: string,
): AgentContainerStatus {
  return {
    type: 'AGENT_CONTAINER_STATUS',
    container: observed(id, state),
    reason,
    ...(detail === undefined ? {} : { detail }),
    at: new Date().toISOString(),
  };
}

async function shown(server: HubServer, token: string, id: string): Promise<Container> {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

interface EventRow extends Record<string, unknown> {
  type: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

async function eventsOf(server: HubServer, id: string, type: string): Promise<EventRow[]> {
  return selectRows<EventRow>(
    server.database.db,
    sql`select type, reason, detail from events where container_id = ${id} and type = ${type}
        order by id`,
  );
}

/**
 * Reports about one container are applied in the order sent, so once a later warning's events
 * row exists, every report sent before it has been applied: a sync point for "nothing changed".
 */
async function afterEarlierReports(server: HubServer, peer: AgentPeer, id: string): Promise<void> {
  const before = (await eventsOf(server, id, 'container.disk_quota_exceeded')).length;
  peer.send(report(id, 'running', 'disk_quota_exceeded', 'sync'));
  await eventually(
    async () => (await eventsOf(server, id, 'container.disk_quota_exceeded')).length > before,
  );
}

for (const driver of DB_DRIVERS) {
  void t.test(`disk quota reports on ${driver}`, async (t) => {
    const server = await startHubServer(t, driver);
    const { peer, enrollment } = await onlinePeer(t, server, 'quota-host');
    const user = await newUser(server, 'quinn');

    async function running(name: string): Promise<string> {
      const row = await insertContainer(server.database, user.id, {
        name,
        hostId: enrollment.hostId,
        status: 'running',
        desiredStatus: 'running',
        statusReason: null,
        diskMb: 64,
        startedAt: new Date(),
        diskUsedMb: 60,
        usageMeasuredAt: new Date(),
      });
      return row.id;
    }

    void t.test(
      'the warning is an event, the stop keeps its reason over a later exit',
      async (t) => {
        const id = await running('over-quota');
        peer.send(report(id, 'running', 'disk_quota_exceeded', OVER));
        const [warning] = await eventually(async () => {
          const rows = await eventsOf(server, id, 'container.disk_quota_exceeded');
          return rows.length > 0 && rows;
        });
        t.match(warning, {
          reason: 'disk_quota_exceeded',
          detail: { disk_mb: 64, last_measured_disk_mb: 60, detail: OVER },
        });
        t.equal(
          (await shown(server, user.token, id)).status,
          'running',
          'the warning stops nothing',
        );

        peer.send(report(id, 'exited', 'disk_quota_exceeded', OVER));
        const stopped = await eventually(async () => {
          const container = await shown(server, user.token, id);
          return container.status === 'stopped' && container;
        });
        t.equal(stopped.status_reason, 'disk_quota_exceeded');
        t.type(stopped.stopped_at, 'string');
        t.equal(stopped.session_expires_at, undefined, 'no session while stopped');

        peer.send(report(id, 'exited', 'exited'));
        await afterEarlierReports(server, peer, id);
        t.match(await shown(server, user.token, id), {
          status: 'stopped',
          status_reason: 'disk_quota_exceeded',
        });
        t.same(
          (await eventsOf(server, id, 'container.stopped')).map((e) => e.reason),
          ['disk_quota_exceeded'],
          'one stop, with its reason',
        );
      },
    );

    void t.test('an exit reported before the quota stop is refined to the quota', async (t) => {
      const id = await running('exit-first');
      peer.send(report(id, 'running', 'disk_quota_exceeded', OVER));
      peer.send(report(id, 'exited', 'exited'));
      peer.send(report(id, 'exited', 'disk_quota_exceeded', OVER));
      await eventually(
        async () => (await shown(server, user.token, id)).status_reason === 'disk_quota_exceeded',
        5_000,
        'the quota reason',
      );
      const stops = await eventsOf(server, id, 'container.stopped');
      t.same(
        stops.map((e) => e.reason),
        ['exited', 'disk_quota_exceeded'],
        'both steps are in the log',
      );
      t.match(stops[1]?.detail, { refines: 'exited', detail: OVER });
    });

    void t.test('a user’s stop is not renamed by a late quota report', async (t) => {
      const id = await running('user-stopped');
      await server.database.db.execute(
        sql`update containers set status = 'stopped', status_reason = 'user',
            desired_status = 'stopped', stopped_at = now() where id = ${id}`,
      );
      peer.send(report(id, 'exited', 'disk_quota_exceeded', OVER));
      await afterEarlierReports(server, peer, id);
      t.equal((await shown(server, user.token, id)).status_reason, 'user');
    });

    void t.test('a quota report about another host’s container changes nothing', async (t) => {
      const { peer: stranger } = await onlinePeer(t, server, 'stranger');
      const id = await running('not-theirs');
      stranger.send(report(id, 'running', 'disk_quota_exceeded', OVER));
      stranger.send(report(id, 'exited', 'disk_quota_exceeded', OVER));
      // The ACK is sent after the reports before it were queued: ours, queued next, runs after.
      stranger.heartbeat(9_999);
      await stranger.next('CONTROL_HEARTBEAT_ACK', (ack) => ack.seq === 9_999);
      await afterEarlierReports(server, peer, id);
      t.equal((await eventsOf(server, id, 'container.disk_quota_exceeded')).length, 1, 'ours only');
      t.equal((await shown(server, user.token, id)).status, 'running');
    });

    void t.test('a container stopped for its quota can be started again', async (t) => {
      const id = await running('restartable');
      peer.send(report(id, 'exited', 'disk_quota_exceeded', OVER));
      await eventually(async () => (await shown(server, user.token, id)).status === 'stopped');
      const starting = call(server, 'POST', `/api/v1/containers/${id}/start`, {
        token: user.token,
      });
      const command = await peer.command((c) => c.container_id === id);
      t.equal(command.command.action, 'start');
      peer.succeed(command, 'running');
      const answer = await starting;
      t.equal(answer.status, 200);
      const started = Container.parse(answer.body);
      t.equal(started.status, 'running');
      t.equal(started.status_reason, undefined, 'the old reason is cleared');
    });
  });
}
