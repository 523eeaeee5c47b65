// Idle auto-stop on the real fleet: a control plane process whose idle "minute" is one second
// (REXEC_IDLE_MINUTE_SECONDS, a test-only setting; the API still takes whole minutes), a real
// agent and busybox containers. An untouched container is stopped as `idle` with an event that
// says so; keystrokes in a terminal and a running exec keep one running, and once they end it is
// stopped as idle in its turn.
import { Container, EventList, ExecResult, Me, Tier } from '@rexec/protocol';
import t, { type Test } from 'tap';
import { TerminalClient } from '../control-plane/terminal/terminal-client.js';
import { startFleet, type Fleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 };
/** The admin's tier's idle_stop_minutes, each a second here. */
const IDLE_SECONDS = 10;

async function runningBox(fleet: Fleet): Promise<Container> {
  const box = await fleet.createBox(BOX);
  return fleet.containerStatus(box.id, 'running');
}

const show = (fleet: Fleet, id: string) => fleet.apiAs(Container, 'GET', `/containers/${id}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stoppedAsIdle(t: Test, fleet: Fleet, id: string): Promise<void> {
  const stopped = await fleet.containerStatus(id, 'stopped', 90_000);
  t.equal(stopped.status_reason, 'idle', 'stopped with reason idle');
  t.equal(stopped.idle_stop_at, null, 'a stopped container has no idle_stop_at');
  const { events } = await fleet.apiAs(
    EventList,
    'GET',
    `/events?container_id=${id}&type=container.stopped`,
  );
  t.same(
    events.map((event) => event.data['reason']),
    ['idle'],
    'one container.stopped event, reason idle',
  );
}

void t.test('idle auto-stop on the real fleet', async (t) => {
  const fleet = await startFleet(t, {
    env: {
      REXEC_IDLE_MINUTE_SECONDS: '1',
      REXEC_IDLE_CHECK_SECONDS: '1',
      REXEC_ACTIVITY_FLUSH_SECONDS: '1',
    },
  });
  await fleet.joinAgent('e2e-idle');
  const { tier } = await fleet.apiAs(Me, 'GET', '/me');
  await fleet.apiAs(Tier, 'PATCH', `/tiers/${tier.name}`, {
    idle_stop_minutes: IDLE_SECONDS,
    // Status is polled once a second here; the default 60 operations a minute would run out.
    rate_limits: { operations_per_minute: 10_000, list_per_minute: 10_000 },
  });

  void t.test('an untouched container is stopped as idle', async (t) => {
    const box = await runningBox(fleet);
    t.ok(box.idle_stop_at != null, 'a running container shows idle_stop_at');
    await stoppedAsIdle(t, fleet, box.id);
  });

  void t.test('keystrokes keep a container running; it stops once they end', async (t) => {
    const box = await runningBox(fleet);
    const client = await TerminalClient.connect(fleet.controlPlane.url, box.id, {
      token: fleet.controlPlane.adminToken,
    });
    const first = (await show(fleet, box.id)).idle_stop_at;
    // Typing for one and a half idle periods, a key a second.
    for (let i = 0; i < IDLE_SECONDS * 1.5; i++) {
      client.type(' ');
      await sleep(1000);
      t.equal((await show(fleet, box.id)).status, 'running', `still running after key ${i}`);
    }
    const later = (await show(fleet, box.id)).idle_stop_at;
    t.ok(Date.parse(later ?? '') > Date.parse(first ?? ''), 'idle_stop_at moved with the keys');
    await stoppedAsIdle(t, fleet, box.id);
    await client.close();
  });

  void t.test('a running exec keeps a container running; it stops after', async (t) => {
    const box = await runningBox(fleet);
    const result = await fleet.apiAs(ExecResult, 'POST', `/containers/${box.id}/exec`, {
      command: `sleep ${IDLE_SECONDS * 1.5}; echo done`,
      timeout_seconds: IDLE_SECONDS * 6,
    });
    t.match(result, { exit_code: 0, stdout: 'done\n' }, 'the exec ran to its end');
    t.equal((await show(fleet, box.id)).status, 'running', 'still running as it ends');
    await stoppedAsIdle(t, fleet, box.id);
  });
});
