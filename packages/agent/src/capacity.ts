// Measures the host from the kernel's own figures: allocatable capacity for HELLO (logical cores as
// millicores, memory, the disk holding the engine's storage) with the operator's overrides applied,
// and current usage for heartbeats. Deciding what fits is the control plane's scheduler's.
// Read directly (/proc, statfs) rather than through a system-information library: a heartbeat
// comes every 3 s, and such a library ran lscpu, dmidecode, df and `cat /proc/stat` (that one
// synchronously) for each, and kept ~10 MB of its own code resident in an agent that idles.
import { statfs } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { HostCapacity, HostUsage } from '@rexec/protocol';
import type { CapacityOverrides } from './config.js';
import { readCpuTimes, readMemory, type CpuTimes } from './host-readings.js';
import type { RuntimeKind } from './runtime/index.js';

const MIB = 1024 * 1024;

/** Where each engine keeps images and containers by default; its filesystem is the disk we offer. */
export const STORAGE_PATHS: Record<RuntimeKind, string> = {
  podman: '/var/lib/containers',
  docker: '/var/lib/docker',
};

export interface HostMeter {
  /** Allocatable capacity: measured, then each override replacing its measure. */
  capacity(): Promise<HostCapacity>;
  /** Both from one measurement: the machine's own figures (before overrides) and `capacity`. */
  measuredAndCapacity(): Promise<{ measured: HostCapacity; capacity: HostCapacity }>;
  usage(): Promise<HostUsage>;
}

export interface DiskFigures {
  sizeMb: number;
  usedMb: number;
}

/**
 * The filesystem holding `path`, as df reports it (size, and used as size less free blocks). A
 * path not made yet (the engine has stored nothing) is on the filesystem of its nearest parent.
 */
export async function storageDisk(path: string): Promise<DiskFigures> {
  let at = path;
  for (;;) {
    try {
      const fs = await statfs(at);
      return {
        sizeMb: Math.floor((fs.blocks * fs.bsize) / MIB),
        usedMb: Math.floor(((fs.blocks - fs.bfree) * fs.bsize) / MIB),
      };
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw error;
      at = parent;
    }
  }
}

/** The logical cores the kernel has online (os.cpus() lists each one). */
const logicalCores = (): number => Math.max(cpus().length, 1);

/** Busy share of CPU time between two readings; since boot for the first. */
function busyFraction(before: CpuTimes | undefined, now: CpuTimes): number | undefined {
  const busy = now.busy - (before?.busy ?? 0);
  const total = now.total - (before?.total ?? 0);
  return total > 0 ? busy / total : undefined;
}

export function createHostMeter(kind: RuntimeKind, overrides: CapacityOverrides): HostMeter {
  const storagePath = STORAGE_PATHS[kind];
  let lastCpu: CpuTimes | undefined;
  let lastBusy = 0;
  async function measured(): Promise<HostCapacity> {
    const [memory, disk] = await Promise.all([readMemory(), storageDisk(storagePath)]);
    return {
      cpu_millicores: logicalCores() * 1000,
      memory_mb: Math.floor(memory.totalBytes / MIB),
      disk_mb: disk.sizeMb,
    };
  }
  const withOverrides = (machine: HostCapacity): HostCapacity => ({
    cpu_millicores: overrides.cpuMillicores ?? machine.cpu_millicores,
    memory_mb: overrides.memoryMb ?? machine.memory_mb,
    disk_mb: overrides.diskMb ?? machine.disk_mb,
  });
  return {
    async capacity() {
      return withOverrides(await measured());
    },
    async measuredAndCapacity() {
      const machine = await measured();
      return { measured: machine, capacity: withOverrides(machine) };
    },
    async usage() {
      const [cpu, memory, disk] = await Promise.all([
        readCpuTimes(),
        readMemory(),
        storageDisk(storagePath),
      ]);
      // Two readings within one clock tick have nothing between them: the last share stands.
      lastBusy = busyFraction(lastCpu, cpu) ?? lastBusy;
      lastCpu = cpu;
      return {
        cpu_millicores: Math.max(0, Math.round(lastBusy * logicalCores() * 1000)),
        // In use: what the kernel could not hand out without reclaiming (MemAvailable leaves the
        // page cache out, which the kernel gives back under pressure).
        memory_mb: Math.floor((memory.totalBytes - memory.availableBytes) / MIB),
        disk_mb: disk.usedMb,
      };
    },
  };
}
