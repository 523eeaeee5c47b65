// The disk monitor on the real engine with a 1 s interval: a container writing 200 MB past its
// 64 MB limit is reported over quota (the event first, while running), stopped mid-write, and the
// engine's own `die` keeps the quota reason; a container under its limit is left alone with its
// usage kept; a container removed mid-run is a logged failure that does not stop the others; runs
// never overlap and stop() waits for the one in flight.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { capturedLog } from '../../helpers/captured-log.js';

const INTERVAL_MS = 1_000;
const MIB = 1024 * 1024;

function spec(id: string, diskMb: number, script: string): ContainerSpec {
  return {
    containerId: id,
    userId: `usr_${'d'.repeat(32)}`,
    image: BUSYBOX_IMAGE,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 50,
    diskMb,
    command: ['sh', '-c', script],
  };
}

// 100 rounds of 1 MB into the writable layer and 1 MB into the home volume: 200 MB over ≥40 s, so
// checks a second apart catch it mid-write even when a loaded machine makes each `du` slow.
const WRITE_200_MB =
  'mkdir -p /data; i=0; while [ $i -lt 100 ]; do ' +
  'dd if=/dev/zero of=/data/f$i bs=1M count=1 2>/dev/null; ' +
  'dd if=/dev/zero of=/root/f$i bs=1M count=1 2>/dev/null; ' +
  'i=$((i+1)); sleep 0.4; done; sleep 3600';
const WRITE_5_MB = 'dd if=/dev/zero of=/root/small bs=1M count=5 2>/dev/null; sleep 3600';

void t.test(
  'a container past its limit is reported (event first), stopped mid-write; one under is left alone',
  async (t) => {
    const { runtime, statuses, quotaStops, log, send } = await reportingRuntime(t);

    const [over, under] = [containerId(), containerId()];
    await runtime.createAndStart(spec(under, 1024, WRITE_5_MB));
    await runtime.createAndStart(spec(over, 64, WRITE_200_MB));
    const measurements: { id: string; mb: number }[] = [];
    const monitor = createDiskMonitor({
      runtime,
      log,
      send,
      intervalMs: INTERVAL_MS,
      quotaStops,
      measure: async (placement: ContainerPlacement, options: MeasureOptions) => {
        const bytes = await measureWithDu(placement, options);
        measurements.push({ id: placement.containerId, mb: bytes / MIB });
        return bytes;
      },
    });
    monitor.start();
    t.teardown(() => monitor.stop());

    const forOver = () => statuses.filter((s) => s.container.container_id === over);
    // The monitor's event, its report after the stop, and the reporter's report of the engine's die.
    await until('three status reports for the offender', () =>
      forOver().length >= 3 ? true : undefined,
    );
    const [event, ...after] = forOver();
    t.equal(event?.reason, 'disk_quota_exceeded', 'the first report is the quota event');
    t.equal(event?.container.state, 'running', 'sent before the stop, with the state as observed');
    const used = Number(/^used (\d+) MB of 64 MB$/.exec(event?.detail ?? '')?.[1]);
    t.ok(used > 64 && used < 200, `stopped mid-write, at ${used} MB`);
    t.same(
      after.map((s) => [s.reason, s.container.state, s.detail]),
      after.map(() => ['disk_quota_exceeded', 'exited', event?.detail]),
      'every later report, the engine die included, keeps the quota reason and detail',
    );
    t.equal((await runtime.inspect(over))?.state, 'exited', 'the engine has it stopped');

    // Enforcement came at the first check that saw it over, right after one that did not (how far
    // apart those ran is the machine's business, not asserted).
    const overChecks = measurements.filter((m) => m.id === over);
    const firstOver = overChecks.findIndex((m) => m.mb > 64);
    t.equal(firstOver, overChecks.length - 1, 'no check saw it over without stopping it');
    const before = overChecks[firstOver - 1];
    t.ok(before !== undefined && before.mb <= 64, 'the previous check saw it under the limit');

    t.equal((await runtime.inspect(under))?.state, 'running', 'the one under its limit runs on');
    t.same(
      statuses.filter((s) => s.container.container_id === under),
      [],
      'and nothing was reported for it',
    );
    const usage = monitor.usage().find((u) => u.container_id === under);
    t.ok(usage !== undefined && usage.disk_mb! >= 5 && usage.disk_mb! < 64, 'its usage is kept');
  },
);

void t.test(
  'a container removed mid-run is logged and skipped; one container is never measured twice at once; stop() awaits the runs',
  async (t) => {
    const hostId = `hst_${randomBytes(16).toString('hex')}`;
    const kind = await engineFor(t, hostId);
    const runtime = createCliRuntime({ kind, hostId, log: pino({ level: 'silent' }) });
    const { log, lines } = capturedLog();
    const [vanishing, steady] = [containerId(), containerId()];
    await runtime.createAndStart(spec(vanishing, 1024, 'sleep 3600'));
    await runtime.createAndStart(spec(steady, 1024, WRITE_5_MB));

    let running = 0;
    const runningOf = new Map<string, number>();
    let maxOfOne = 0;
    let steadyChecks = 0;
    let removed = false;
    const monitor = createDiskMonitor({
      runtime,
      log,
      send: () => undefined,
      intervalMs: INTERVAL_MS,
      measure: async (placement: ContainerPlacement, options: MeasureOptions) => {
        const id = placement.containerId;
        running += 1;
        runningOf.set(id, (runningOf.get(id) ?? 0) + 1);
        maxOfOne = Math.max(maxOfOne, runningOf.get(id) ?? 0);
        try {
          if (id === vanishing && !removed) {
            // Gone between locate and du, as when a user deletes it during a check.
            removed = true;
            await runtime.remove(vanishing);
          }
          // Each container takes longer than the interval, so ticks arrive mid-run.
          await sleep(1_200);
          const bytes = await measureWithDu(placement, options);
          if (id === steady) steadyChecks += 1;
          return bytes;
        } finally {
          running -= 1;
          runningOf.set(id, (runningOf.get(id) ?? 1) - 1);
        }
      },
    });
    monitor.start();
    await until('three checks of the steady container', () =>
      steadyChecks >= 3 ? true : undefined,
    );
    await monitor.stop();
    t.equal(running, 0, 'stop() resolved only after the measurements in flight');
    const checksAtStop = steadyChecks;
    await sleep(2 * INTERVAL_MS);
    t.equal(steadyChecks, checksAtStop, 'no check after stop()');
    t.equal(maxOfOne, 1, 'never two measurements of one container at once');

    const failure = lines.find((line) => line['msg'] === 'disk check failed');
    t.match(failure, {
      containerId: vanishing,
      failures: 1,
      err: { type: 'DiskMeasureError', message: /no total for/ },
    });
    const ids = monitor.usage().map((u) => u.container_id);
    t.same(ids, [steady], 'the removed container is forgotten, the other one measured');
  },
);
