// The status reporter in-process on the real engine: an outside kill is reported as `exited` with
// the container's state, an outside removal as `removed` with state `missing`, and containers of
// another host id are never reported.
import { randomBytes } from 'node:crypto';
import type { AgentMessage } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import { createCliRuntime } from '../../packages/agent/src/runtime/cli-runtime.js';
import { createStatusReporter } from '../../packages/agent/src/status-reports.js';
import { BUSYBOX_IMAGE, engine } from '../helpers/engine.js';
import { containerId, engineFor } from './agent-fixture.js';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';

type Status = Extract<AgentMessage, { type: 'AGENT_CONTAINER_STATUS' }>;

void t.test('outside kills and removals are reported at once, only for this host', async (t) => {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const otherHostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  await engineFor(t, otherHostId);
  const log = pino({ level: 'silent' });
  const runtime = createCliRuntime({ kind, hostId, log });
  const other = createCliRuntime({ kind, hostId: otherHostId, log });
  const reports: Status[] = [];
  const waiters = new Set<() => void>();
  const reporter = createStatusReporter({
    runtime,
    log,
    send: (message) => {
      if (message.type !== 'AGENT_CONTAINER_STATUS') return;
      reports.push(message);
      for (const wake of [...waiters]) wake();
    },
  });
  reporter.start();
  t.teardown(() => reporter.stop());
  const reportFor = (id: string, reason: string) =>
    new Promise<Status>((resolve, reject) => {
      const check = () => {
        const found = reports.find((r) => r.container.container_id === id && r.reason === reason);
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${reason} report for ${id}`));
      }, 30_000);
      waiters.add(check);
      check();
    });

  const spec = (id: string) => ({
    containerId: id,
    userId: 'usr-test',
    image: BUSYBOX_IMAGE,
    cpuMillicores: 100,
    memoryMb: 32,
    pidsLimit: 50,
    command: ['sleep', '3600'],
  });
  const ours = containerId();
  const theirs = containerId();
  await runtime.createAndStart(spec(ours));
  await other.createAndStart(spec(theirs));

  await engine(kind, ['kill', `rexec-${theirs}`]);
  await engine(kind, ['kill', `rexec-${ours}`]);
  const exited = await reportFor(ours, 'exited');
  t.equal(exited.container.state, 'exited');
  t.equal(exited.container.oom_killed, false);
  t.equal(exited.container.exit_code, 137);

  await retryWhileBusy(() => engine(kind, ['rm', '--force', `rexec-${ours}`]));
  const removed = await reportFor(ours, 'removed');
  t.same(
    { state: removed.container.state, engine_id: removed.container.engine_id },
    { state: 'missing', engine_id: null },
  );
  t.notOk(
    reports.some((r) => r.container.container_id === theirs),
    "another host's container is never reported",
  );
});
