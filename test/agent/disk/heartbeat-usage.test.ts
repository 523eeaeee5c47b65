// Which container usage a heartbeat carries (disk/heartbeat-usage.ts): all on the first beat and
// every Nth, otherwise only what changed; containers gone from the measurements are forgotten.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createHeartbeatUsage } from '../../../packages/agent/src/disk/heartbeat-usage.js';

const id = () => `ctr_${randomBytes(16).toString('hex')}`;

void t.test('the first beat and every Nth carry all, the others only changes', (t) => {
  const [a, b] = [id(), id()];
  const usage = createHeartbeatUsage(4);
  const both = [
    { container_id: a, disk_mb: 1 },
    { container_id: b, disk_mb: 2 },
  ];
  t.same(usage.next(0, both), both, 'first beat: everything');
  t.same(usage.next(1, both), [], 'no change: nothing');
  const bGrew = [both[0]!, { container_id: b, disk_mb: 3 }];
  t.same(usage.next(2, bGrew), [{ container_id: b, disk_mb: 3 }], 'only the one that changed');
  t.same(usage.next(3, bGrew), []);
  t.same(usage.next(4, bGrew), bGrew, 'every 4th beat: everything again');
  t.end();
});

void t.test('a container that disappears and comes back is sent again', (t) => {
  const a = id();
  const usage = createHeartbeatUsage(100);
  t.same(usage.next(0, [{ container_id: a, disk_mb: 5 }]), [{ container_id: a, disk_mb: 5 }]);
  t.same(usage.next(1, []), []);
  t.same(usage.next(2, [{ container_id: a, disk_mb: 5 }]), [{ container_id: a, disk_mb: 5 }]);
  t.end();
});

void t.test('any changed amount counts, not only disk', (t) => {
  const a = id();
  const usage = createHeartbeatUsage(100);
  usage.next(0, [{ container_id: a, disk_mb: 5, memory_mb: 10 }]);
  t.same(usage.next(1, [{ container_id: a, disk_mb: 5, memory_mb: 11 }]), [
    { container_id: a, disk_mb: 5, memory_mb: 11 },
  ]);
  t.end();
});
