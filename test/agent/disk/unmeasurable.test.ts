// Disk the monitor cannot measure counts as over the limit (issue 16): a container that fills its
// writable layer with so many files that du cannot walk them within the measure timeout is stopped
// with `disk_unmeasurable` after that many failures in a row, and the engine's `die` keeps the
// reason; a measurement that hangs holds up only its own container, whose neighbours are measured
// every interval meanwhile.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { createDiskMonitor, measureWithDu } from '../../../packages/agent/src/disk/disk-monitor.js';
import type { MeasureOptions } from '../../../packages/agent/src/disk/disk-monitor.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import type {
  ContainerPlacement,
  ContainerSpec,
} from '../../../packages/agent/src/runtime/types.js';
import { BUSYBOX_IMAGE } from '../../helpers/engine.js';
import { containerId, engineFor } from '../agent-fixture.js';
import { reportingRuntime, until } from './disk-fixture.js';

function spec(id: string, script: string): ContainerSpec {
  return {
    containerId: id,
    userId: `usr_${'u'.repeat(32)}`,
    image: BUSYBOX_IMAGE,
    cpuMillicores: 1000,
    memoryMb: 64,
    pidsLimit: 100,
    diskMb: 1024,
    command: ['sh', '-c', script],
  };
}

// 200k empty files: nothing near the limit in bytes, but du needs far longer than the 100 ms
// timeout to walk them (a few ms for the neighbour's handful). 40k files and 250 ms were too
// close: on a quiet moment of a CI run, with the inodes cached, du walked them in time often
// enough that three timeouts in a row never came.
const MANY_FILES =
  'i=0; while [ $i -lt 200 ]; do mkdir -p /many/$i && cd /many/$i && seq 1 1000 | xargs touch; ' +
  'i=$((i+1)); done; sleep 3600';
const ONE_FILE = 'dd if=/dev/zero of=/root/small bs=1M count=2 2>/dev/null; sleep 3600';

void t.test(
  'a container du cannot walk in time is stopped with disk_unmeasurable; its neighbour runs on',
  async (t) => {
    const { runtime, statuses, quotaStops, log, send } = await reportingRuntime(t);

    const [crowded, plain] = [containerId(), containerId()];
    await runtime.createAndStart(spec(plain, ONE_FILE));
    await runtime.createAndStart(spec(crowded, MANY_FILES));
    const monitor = createDiskMonitor({
      runtime,
      log,
      send,
      intervalMs: 500,
      measureTimeoutMs: 100,
      unmeasurableAfter: 3,
      quotaStops,
    });
    monitor.start();
    t.teardown(() => monitor.stop());

    const forCrowded = () => statuses.filter((s) => s.container.container_id === crowded);
    await until('three reports for the crowded container', () =>
      forCrowded().length >= 3 ? true : undefined,
    );
    const [event, ...after] = forCrowded();
    t.equal(event?.reason, 'disk_unmeasurable', 'the first report names the reason');
    t.equal(event?.container.state, 'running', 'sent before the stop');
    t.match(
      event?.detail,
      /^disk usage could not be measured 3 times in a row: .*timed out/,
      'why',
    );
    t.same(
      after.map((s) => [s.reason, s.container.state]),
      after.map(() => ['disk_unmeasurable', 'exited']),
      "every later report, the engine's die included, keeps the reason",
    );
    t.equal((await runtime.inspect(crowded))?.state, 'exited', 'the engine has it stopped');
    t.equal((await runtime.inspect(plain))?.state, 'running', 'the measurable one runs on');
    t.same(
      statuses.filter((s) => s.container.container_id === plain),
      [],
      'and nothing was reported for it',
    );
    t.ok(
      monitor.usage().some((u) => u.container_id === plain && (u.disk_mb ?? 0) >= 2),
      'its usage is measured',
    );
  },
);

void t.test("a hanging measurement holds up only its own container's checks", async (t) => {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  const log = pino({ level: 'silent' });
  const runtime = createCliRuntime({ kind, hostId, log });
  const [stuck, steady] = [containerId(), containerId()];
  await runtime.createAndStart(spec(stuck, 'sleep 3600'));
  await runtime.createAndStart(spec(steady, ONE_FILE));

  const order: string[] = [];
  let release: () => void = () => undefined;
  const hanging = new Promise<void>((resolve) => {
    release = resolve;
  });
  const monitor = createDiskMonitor({
    runtime,
    log,
    send: () => undefined,
    intervalMs: 200,
    measure: async (placement: ContainerPlacement, options: MeasureOptions) => {
      if (placement.containerId === stuck) {
        order.push('stuck started');
        await hanging;
        order.push('stuck ended');
      }
      const bytes = await measureWithDu(placement, options);
      if (placement.containerId === steady) order.push('steady measured');
      return bytes;
    },
  });
  monitor.start();
  t.teardown(() => monitor.stop());
  await until('five measurements of the steady container', () =>
    order.filter((entry) => entry === 'steady measured').length >= 5 ? true : undefined,
  );
  t.same(
    order.filter((entry) => entry.startsWith('stuck')),
    ['stuck started'],
    'the stuck one was started once and is still measuring: no second measurement of it began',
  );
  release();
  await until('the stuck measurement to end', () =>
    order.includes('stuck ended') ? true : undefined,
  );
  await monitor.stop();
  t.ok(
    monitor.usage().some((u) => u.container_id === stuck),
    'its measurement counts once it finishes',
  );
});
