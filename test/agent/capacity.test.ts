// The host meter on this machine through systeminformation, checked against the OS's own tools
// (getconf, /proc/meminfo, df) rather than the library it wraps: measured capacity is the machine,
// overrides replace each measure, and usage stays within capacity.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import t from 'tap';
import { STORAGE_PATHS, createHostMeter } from '../../packages/agent/src/capacity.js';

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
