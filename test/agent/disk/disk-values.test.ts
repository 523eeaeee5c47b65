// The small pure parts of disk enforcement, table-driven: reading the io.rexec.disk-mb label,
// what HELLO announces for each engine capability and interval, and the quota-stop marks.
import t from 'tap';
import { diskEnforcement } from '../../../packages/agent/src/disk/disk-enforcement.js';
import { diskLimitOf, LABEL_DISK_MB } from '../../../packages/agent/src/disk/disk-limit.js';
import { createQuotaStops } from '../../../packages/agent/src/disk/quota-stops.js';

void t.test('the disk label is a positive integer or it is no limit', (t) => {
  const cases: [string | undefined, ReturnType<typeof diskLimitOf>][] = [
    [undefined, { kind: 'none' }],
    ['', { kind: 'none' }],
    ['64', { kind: 'limit', diskMb: 64 }],
    ['10240', { kind: 'limit', diskMb: 10240 }],
    ['0', { kind: 'invalid', value: '0' }],
    ['-5', { kind: 'invalid', value: '-5' }],
    ['64MB', { kind: 'invalid', value: '64MB' }],
    ['1.5', { kind: 'invalid', value: '1.5' }],
    ['0064', { kind: 'invalid', value: '0064' }],
    ['9999999999999', { kind: 'invalid', value: '9999999999999' }],
  ];
  for (const [value, expected] of cases) {
    const labels: Record<string, string> = value === undefined ? {} : { [LABEL_DISK_MB]: value };
    t.same(diskLimitOf(labels), expected, `label ${JSON.stringify(value)}`);
  }
  t.end();
});

void t.test('HELLO reports storage_opt, monitor or none with the check interval', (t) => {
  const cases: [boolean | null, number | null, ReturnType<typeof diskEnforcement>][] = [
    [true, 10_000, { mode: 'storage_opt', checkSeconds: 10 }],
    [true, null, { mode: 'storage_opt', checkSeconds: null }],
    [false, 10_000, { mode: 'monitor', checkSeconds: 10 }],
    [null, 1_000, { mode: 'monitor', checkSeconds: 1 }],
    [null, 400, { mode: 'monitor', checkSeconds: 1 }],
    [false, 90_500, { mode: 'monitor', checkSeconds: 91 }],
    [false, null, { mode: 'none', checkSeconds: null }],
  ];
  for (const [storageOptSize, intervalMs, expected] of cases) {
    t.same(
      diskEnforcement({ storageOptSize }, intervalMs),
      expected,
      `storageOptSize ${storageOptSize}, interval ${intervalMs}`,
    );
  }
  t.end();
});

void t.test('a quota mark is taken once and cleared on demand', (t) => {
  const stops = createQuotaStops();
  stops.mark('ctr_a', 'used 70 MB of 64 MB');
  t.ok(stops.has('ctr_a'));
  t.same(stops.take('ctr_a'), { reason: 'disk_quota_exceeded', detail: 'used 70 MB of 64 MB' });
  t.equal(stops.take('ctr_a'), null, 'taken: gone');
  stops.mark('ctr_c', 'could not measure', 'disk_unmeasurable');
  t.same(stops.take('ctr_c'), { reason: 'disk_unmeasurable', detail: 'could not measure' });
  stops.mark('ctr_b', 'x');
  stops.clear('ctr_b');
  t.notOk(stops.has('ctr_b'));
  t.end();
});
