// The host meter on this machine through systeminformation: measured capacity matches what the
// OS reports, overrides replace each measure, and usage stays within capacity.
import { availableParallelism, totalmem } from 'node:os';
import t from 'tap';
import { createHostMeter } from '../../packages/agent/src/capacity.js';

void t.test('measured capacity is the machine; overrides replace each figure', async (t) => {
  const measured = await createHostMeter('podman', {}).capacity();
  t.equal(measured.cpu_millicores, availableParallelism() * 1000);
  t.equal(measured.memory_mb, Math.floor(totalmem() / 1024 / 1024));
  t.ok(measured.disk_mb > 0, 'disk of the engine storage filesystem');
  const overridden = await createHostMeter('podman', { cpuMillicores: 700, diskMb: 5 }).capacity();
  t.same(overridden, { cpu_millicores: 700, memory_mb: measured.memory_mb, disk_mb: 5 });
});

void t.test('usage is within the machine', async (t) => {
  const meter = createHostMeter('podman', {});
  const [capacity, usage] = await Promise.all([meter.capacity(), meter.usage()]);
  t.ok(usage.cpu_millicores <= capacity.cpu_millicores);
  t.ok(usage.memory_mb > 0 && usage.memory_mb <= capacity.memory_mb);
  t.ok(usage.disk_mb > 0 && usage.disk_mb <= capacity.disk_mb);
});
