// Heartbeat usage from two measurers: the disk monitor's and the stats sampler's entries become one
// per container, and a changed memory figure alone puts a container in the next beat while an
// unchanged sample does not.
import t from 'tap';
import { createHeartbeatUsage } from '../../../packages/agent/src/disk/heartbeat-usage.js';
import { mergeUsage } from '../../../packages/agent/src/stats/usage-merge.js';

const A = `ctr_${'a'.repeat(32)}`;
const B = `ctr_${'b'.repeat(32)}`;

void t.test('disk and stats entries merge into one per container', (t) => {
  const merged = mergeUsage(
    [
      { container_id: A, disk_mb: 40 },
      { container_id: B, disk_mb: 2 },
    ],
    [{ container_id: A, cpu_millicores: 120, memory_bytes: 5, pids: 3 }],
  );
  t.same(merged, [
    { container_id: A, disk_mb: 40, cpu_millicores: 120, memory_bytes: 5, pids: 3 },
    { container_id: B, disk_mb: 2 },
  ]);
  t.same(mergeUsage([], [{ container_id: B, pids: 1 }]), [{ container_id: B, pids: 1 }]);
  t.end();
});

void t.test('a beat carries a container again when only its memory_bytes changed', (t) => {
  const beats = createHeartbeatUsage(100);
  const sample = {
    container_id: A,
    cpu_millicores: 100,
    memory_bytes: 1000,
    memory_limit_bytes: 9,
  };
  t.equal(beats.next(0, [sample]).length, 1, 'the first beat carries everything');
  t.same(beats.next(1, [{ ...sample }]), [], 'an unchanged sample is not repeated');
  t.same(beats.next(2, [{ ...sample, memory_bytes: 1001 }]).length, 1, 'memory changed');
  t.same(beats.next(3, [{ ...sample, memory_bytes: 1001, memory_limit_bytes: 10 }]).length, 1);
  t.end();
});
