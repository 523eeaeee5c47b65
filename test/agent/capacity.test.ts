// The host meter on this machine, checked against the OS's own tools (getconf, /proc/meminfo, df)
// rather than the /proc and statfs readings it makes: measured capacity is the machine, overrides
// replace each measure, usage stays within capacity, a storage path not made yet is measured on
// its parent's filesystem, and the /proc parsers read what the kernel writes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { STORAGE_PATHS, createHostMeter, storageDisk } from '../../packages/agent/src/capacity.js';
import { memoryFrom, parseCpuTimes, parseMeminfo } from '../../packages/agent/src/host-readings.js';

const MIB = 1024 * 1024;

async function onlineCpus(): Promise<number> {
  return Number((await execa('getconf', ['_NPROCESSORS_ONLN'])).stdout.trim());
}

async function memTotalMb(): Promise<number> {
  const match = /^MemTotal:\s+(\d+) kB$/m.exec(await readFile('/proc/meminfo', 'utf8'));
  if (match === null) throw new Error('/proc/meminfo has no MemTotal line');
  return Math.floor((Number(match[1]) * 1024) / MIB);
}

/** The size of the filesystem holding `path` (df follows it to its mount), in whole MiB. */
async function filesystemMb(path: string): Promise<number> {
  const { stdout } = await execa('df', ['-B1', '--output=size', path]);
  return Math.floor(Number(stdout.trim().split('\n')[1]) / MIB);
}

/** df's own used figure for the filesystem holding `path`, in whole MiB. */
async function filesystemUsedMb(path: string): Promise<number> {
  const { stdout } = await execa('df', ['-B1', '--output=used', path]);
  return Math.floor(Number(stdout.trim().split('\n')[1]) / MIB);
}

void t.test('measured capacity is the machine; overrides replace each figure', async (t) => {
  const measured = await createHostMeter('podman', {}).capacity();
  t.equal(measured.cpu_millicores, (await onlineCpus()) * 1000, 'online CPUs as millicores');
  t.equal(measured.memory_mb, await memTotalMb(), 'MemTotal');
  t.equal(measured.disk_mb, await filesystemMb(STORAGE_PATHS.podman), "the engine storage's disk");
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

void t.test('a storage path not made yet is measured on its parent filesystem', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'rexec-capacity-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const disk = await storageDisk(join(root, 'not', 'made', 'yet'));
  t.equal(disk.sizeMb, await filesystemMb(root), 'the size df gives for the nearest parent');
  // Used moves with whatever else writes to the disk meanwhile: within 64 MiB of df's figure.
  t.ok(Math.abs(disk.usedMb - (await filesystemUsedMb(root))) <= 64, 'used as df counts it');
});

void t.test('meminfo: MemAvailable is what is available; without it, free and caches', (t) => {
  const kernel = 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\n';
  t.same(memoryFrom(parseMeminfo(`${kernel}MemAvailable:    9000000 kB\n`)), {
    totalBytes: 16_000_000 * 1024,
    availableBytes: 9_000_000 * 1024,
  });
  const old = `${kernel}Buffers:          100000 kB\nCached:          2000000 kB\nSReclaimable:     300000 kB\n`;
  t.same(memoryFrom(parseMeminfo(old)), {
    totalBytes: 16_000_000 * 1024,
    availableBytes: (1_000_000 + 100_000 + 2_000_000 + 300_000) * 1024,
  });
  t.throws(() => memoryFrom(parseMeminfo('MemFree: 1 kB\n')), /no MemTotal/);
  t.end();
});

void t.test('/proc/stat: I/O wait counts as idle, interrupts and steal as busy', (t) => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const stat = 'cpu  100 10 50 800 40 5 3 2 7 0\ncpu0 100 10 50 800 40 5 3 2 7 0\nintr 1 2\n';
  t.same(parseCpuTimes(stat), { busy: 100 + 10 + 50 + 5 + 3 + 2, total: 170 + 800 + 40 });
  t.throws(() => parseCpuTimes('intr 1 2\n'), /no aggregate cpu line/);
  t.end();
});
