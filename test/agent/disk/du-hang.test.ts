// A du that never finishes (issue 24, error path 8): a `du` first on PATH sleeps for the directory
// of one container and is the real du for the others. The monitor's measure timeout kills each
// hung du (none is left behind), counts it as a failed measurement, and after enough in a row stops
// the container with `disk_unmeasurable`; the neighbour is measured and runs on.
import t from 'tap';
import { createDiskMonitor } from '../../../packages/agent/src/disk/disk-monitor.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { containerId } from '../agent-fixture.js';
import { reportingRuntime, until } from './disk-fixture.js';
import { hangingDu } from './fault-binaries.js';
import { boxSpec, WRITE_5_MB } from './failure-fixture.js';

const INTERVAL_MS = 200;

void t.test(
  'a du that never finishes is killed at the timeout and counts as unmeasurable; the neighbour is measured',
  async (t) => {
    const du = await hangingDu(t);
    const { runtime, statuses, quotaStops, send } = await reportingRuntime(t);
    const { log, lines } = capturedLog();
    const [stuck, plain] = [containerId(), containerId()];
    await runtime.createAndStart(boxSpec(plain, 1024, WRITE_5_MB));
    await runtime.createAndStart(boxSpec(stuck, 1024, 'sleep 3600'));
    const placement = await runtime.locate(stuck);
    const dir = placement?.writableDir ?? placement?.homeVolumeDir;
    if (dir == null) throw new Error('the engine gave no directory to measure');
    await du.hangOn(dir);

    const monitor = createDiskMonitor({
      runtime,
      log,
      send,
      intervalMs: INTERVAL_MS,
      measureTimeoutMs: 1_000,
      unmeasurableAfter: 2,
      quotaStops,
    });
    monitor.start();
    t.teardown(() => monitor.stop());
    await until('the stuck container reported stopped', () =>
      statuses.some((s) => s.container.container_id === stuck && s.container.state === 'exited')
        ? true
        : undefined,
    );
    await monitor.stop();

    const failures = lines.filter(
      (line) => line['msg'] === 'disk check failed' && line['containerId'] === stuck,
    );
    t.same(
      failures.slice(0, 2).map((line) => line['failures']),
      [1, 2],
      'two failed measurements in a row, counted',
    );
    t.match(failures[0], {
      err: { type: 'DiskMeasureError', message: /timed out after 1000 ms/ },
    });
    const pids = await du.hungPids();
    t.ok(pids.length >= 2, `the du hung each time (${pids.length})`);
    t.same(
      pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false; // ESRCH: the process is gone
        }
      }),
      [],
      'every hung du was killed, none left behind',
    );
    const [event] = statuses.filter((s) => s.container.container_id === stuck);
    t.equal(event?.reason, 'disk_unmeasurable');
    t.match(event?.detail, /could not be measured 2 times in a row: .*timed out/);
    t.equal((await runtime.inspect(stuck))?.state, 'exited', 'the engine has it stopped');
    t.equal((await runtime.inspect(plain))?.state, 'running', 'the measurable one runs on');
    t.ok(
      monitor.usage().some((u) => u.container_id === plain && (u.disk_mb ?? 0) >= 5),
      'and was measured',
    );
  },
);
