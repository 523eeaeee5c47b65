// A quota stop the engine refuses (issue 24, error path 8): the engine binary is a wrapper of the
// real one whose `stop` fails on demand. The failure is a warning, the offender is reported once and
// tried again on every pass while its neighbour is still measured, no quota mark outlives the
// failed stop, and once the engine obeys the offender is stopped with the quota reason.
import t from 'tap';
import { createDiskMonitor } from '../../../packages/agent/src/disk/disk-monitor.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { containerId } from '../agent-fixture.js';
import { until } from './disk-fixture.js';
import {
  boxSpec,
  countingMeasure,
  failingRuntime,
  WRITE_5_MB,
  WRITE_80_MB,
} from './failure-fixture.js';

const INTERVAL_MS = 200;

void t.test(
  'a quota stop the engine refuses is logged and retried on the next pass; the others are still measured',
  async (t) => {
    const { runtime, statuses, quotaStops, send, faults } = await failingRuntime(t);
    const { log, lines } = capturedLog();
    const [over, under] = [containerId(), containerId()];
    await runtime.createAndStart(boxSpec(under, 1024, WRITE_5_MB));
    await runtime.createAndStart(boxSpec(over, 64, WRITE_80_MB));
    await faults.fail('stop');
    const counts = new Map<string, number>();
    const options = {
      runtime,
      log,
      send,
      intervalMs: INTERVAL_MS,
      quotaStops,
      stopTimeoutSeconds: 1,
      measure: countingMeasure(counts),
    };
    let monitor = createDiskMonitor(options);
    monitor.start();
    t.teardown(() => monitor.stop());

    const failedStops = () =>
      lines.filter(
        (line) =>
          line['msg'] === 'disk check failed' &&
          line['containerId'] === over &&
          /injected failure of stop/.test(String((line['err'] as { message?: unknown }).message)),
      );
    await until('a failed quota stop', () => (failedStops().length >= 1 ? true : undefined));
    const underAtFirstFailure = counts.get(under) ?? 0;
    await until('the quota stop tried again on a later pass', () =>
      failedStops().length >= 2 ? true : undefined,
    );
    await until('the neighbour measured after the failed stop', () =>
      (counts.get(under) ?? 0) > underAtFirstFailure ? true : undefined,
    );
    // stop() waits for the pass in flight, so no stop attempt is half done below.
    await monitor.stop();
    t.match(failedStops()[0], { level: 40, err: { type: 'RuntimeError', code: 'engine_failed' } });
    t.equal((await runtime.inspect(over))?.state, 'running', 'the offender still runs');
    t.notOk(quotaStops.has(over), 'a failed stop leaves no quota mark behind for a later exit');
    const reports = statuses.filter((s) => s.container.container_id === over);
    t.same(
      reports.map((s) => [s.reason, s.container.state]),
      [['disk_quota_exceeded', 'running']],
      'one quota event of a running container for all the attempts; no report says it stopped',
    );

    await faults.heal('stop');
    monitor = createDiskMonitor(options);
    monitor.start();
    await until('the offender reported stopped', () =>
      statuses.some((s) => s.container.container_id === over && s.container.state === 'exited')
        ? true
        : undefined,
    );
    await monitor.stop();
    t.equal((await runtime.inspect(over))?.state, 'exited', 'the engine has it stopped now');
    t.same(
      statuses
        .filter((s) => s.container.container_id === over && s.container.state === 'exited')
        .map((s) => s.reason),
      statuses
        .filter((s) => s.container.container_id === over && s.container.state === 'exited')
        .map(() => 'disk_quota_exceeded'),
      'with the quota reason',
    );
    t.equal((await runtime.inspect(under))?.state, 'running', 'the one under its limit runs on');
  },
);
