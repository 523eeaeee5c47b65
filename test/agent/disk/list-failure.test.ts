// The disk monitor when the engine cannot list (issue 24, error path 8): the engine binary is a
// wrapper of the real one whose `ps` fails on demand. Each interval's failed listing is a warning
// with the engine's error, the last measurements are kept for heartbeats meanwhile, and measuring
// resumes as soon as the engine answers again.
import t from 'tap';
import { createDiskMonitor } from '../../../packages/agent/src/disk/disk-monitor.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { containerId } from '../agent-fixture.js';
import { until } from './disk-fixture.js';
import { boxSpec, countingMeasure, failingRuntime, WRITE_5_MB } from './failure-fixture.js';

const INTERVAL_MS = 200;

void t.test(
  'an engine list that fails is logged every interval; once it answers, measuring resumes',
  async (t) => {
    const { runtime, faults } = await failingRuntime(t);
    const { log, lines } = capturedLog();
    const box = containerId();
    await runtime.createAndStart(boxSpec(box, 1024, WRITE_5_MB));
    const counts = new Map<string, number>();
    const monitor = createDiskMonitor({
      runtime,
      log,
      send: () => undefined,
      intervalMs: INTERVAL_MS,
      measure: countingMeasure(counts),
    });
    monitor.start();
    t.teardown(() => monitor.stop());
    const usageOf = () => monitor.usage().find((u) => u.container_id === box)?.disk_mb;
    await until('a first measurement of 5 MB', () => ((usageOf() ?? 0) >= 5 ? true : undefined));

    await faults.fail('ps');
    const listFailures = () =>
      lines.filter((line) => line['msg'] === 'could not list containers for the disk check');
    await until('three failed listings', () => (listFailures().length >= 3 ? true : undefined));
    t.match(
      listFailures()[0],
      { level: 40, err: { type: 'RuntimeError', message: /ps failed: .*injected failure of ps/ } },
      "a warning with the engine's error",
    );
    t.ok((usageOf() ?? 0) >= 5, 'the last measurement is kept while the engine cannot list');

    await faults.heal('ps');
    const before = counts.get(box) ?? 0;
    await until('a measurement after the engine answers again', () =>
      (counts.get(box) ?? 0) > before ? true : undefined,
    );
    await monitor.stop();
    t.equal((await runtime.inspect(box))?.state, 'running', 'the container was never touched');
  },
);
