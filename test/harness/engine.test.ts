// The container engine setup is real: the busybox test image runs with memory and CPU limits the
// engine records and the kernel enforces, and the Debian image is a real bookworm. Needs the
// images from test/images/build.sh; a missing engine fails these tests rather than skipping them.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { Test } from 'tap';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';
import { BUSYBOX_IMAGE, DEBIAN_IMAGE, engine, requireEngine } from '../helpers/engine.js';
import type { EngineKind } from '../helpers/engine.js';

const MIB = 1024 * 1024;

function containerName(): string {
  return `rexec-test-harness-${randomBytes(4).toString('hex')}`;
}

/** Removes the container at the end of t without waiting for a stop timeout. */
function removeLater(t: Test, kind: EngineKind, name: string): void {
  const noWait = kind === 'podman' ? ['--time', '0'] : [];
  t.teardown(async () => {
    await retryWhileBusy(() => engine(kind, ['rm', '--force', ...noWait, name]));
  });
}

void t.test('the engine runs the busybox image with --memory 64m --cpus 0.5', async (t) => {
  const kind = await requireEngine(t);
  const name = containerName();
  removeLater(t, kind, name);
  await engine(kind, [
    'run',
    '--detach',
    '--name',
    name,
    '--memory',
    '64m',
    '--cpus',
    '0.5',
    BUSYBOX_IMAGE,
    'sleep',
    '300',
  ]);

  const inspected = JSON.parse((await engine(kind, ['inspect', name])).stdout) as [
    { HostConfig: { Memory: number; NanoCpus: number } },
  ];
  t.equal(inspected[0].HostConfig.Memory, 64 * MIB, 'inspect shows 64 MiB of memory');
  t.equal(inspected[0].HostConfig.NanoCpus, 500_000_000, 'inspect shows half a CPU');

  // cgroup v2 names the files memory.max and cpu.max; v1 (this hybrid host) the other two.
  const script =
    'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes;' +
    'cat /sys/fs/cgroup/cpu.max 2>/dev/null || ' +
    'echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"';
  const [memory, cpu] = (await engine(kind, ['exec', name, 'sh', '-c', script])).stdout.split('\n');
  t.equal(Number(memory), 64 * MIB, 'the kernel caps the container at 64 MiB');
  const [quota, period] = (cpu ?? '').split(' ').map(Number);
  t.equal((quota ?? 0) / (period ?? 1), 0.5, 'the kernel gives the container half a CPU');
});

void t.test('the debian image is a real Debian 12 (bookworm)', async (t) => {
  const kind = await requireEngine(t);
  const name = containerName();
  removeLater(t, kind, name);
  const result = await engine(kind, [
    'run',
    '--name',
    name,
    DEBIAN_IMAGE,
    'cat',
    '/etc/debian_version',
  ]);
  t.match(result.stdout.trim(), /^12\.\d+$/);
});
