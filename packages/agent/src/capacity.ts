// Measures the host with systeminformation: allocatable capacity for HELLO (logical cores as
// millicores, memory, the disk holding the engine's storage) with the operator's overrides applied,
// and current usage for heartbeats. Deciding what fits is the control plane's scheduler's.
import type { HostCapacity, HostUsage } from '@rexec/protocol';
import * as si from 'systeminformation';
import type { CapacityOverrides } from './config.js';
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

interface DiskFigures {
  sizeMb: number;
  usedMb: number;
}

// The mount whose path is the longest prefix of the storage path holds it.
async function storageDisk(path: string): Promise<DiskFigures> {
  const mounts = await si.fsSize();
  let best: (typeof mounts)[number] | undefined;
  for (const mount of mounts) {
    const prefix = mount.mount.endsWith('/') ? mount.mount : `${mount.mount}/`;
    const holds = mount.mount === path || `${path}/`.startsWith(prefix);
    if (holds && (best === undefined || mount.mount.length > best.mount.length)) best = mount;
  }
  if (best === undefined) return { sizeMb: 0, usedMb: 0 };
  return { sizeMb: Math.floor(best.size / MIB), usedMb: Math.floor(best.used / MIB) };
}

async function logicalCores(): Promise<number> {
  const cpu = await si.cpu();
  return Math.max(cpu.cores, 1);
}

export function createHostMeter(kind: RuntimeKind, overrides: CapacityOverrides): HostMeter {
  const storagePath = STORAGE_PATHS[kind];
  async function measured(): Promise<HostCapacity> {
    const [cores, memory, disk] = await Promise.all([
      logicalCores(),
      si.mem(),
      storageDisk(storagePath),
    ]);
    return {
      cpu_millicores: cores * 1000,
      memory_mb: Math.floor(memory.total / MIB),
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
      const [cores, load, memory, disk] = await Promise.all([
        logicalCores(),
        si.currentLoad(),
        si.mem(),
        storageDisk(storagePath),
      ]);
      const loadFraction = Number.isFinite(load.currentLoad) ? load.currentLoad / 100 : 0;
      return {
        cpu_millicores: Math.max(0, Math.round(loadFraction * cores * 1000)),
        // `active` leaves out page cache, which the kernel gives back under pressure.
        memory_mb: Math.floor(memory.active / MIB),
        disk_mb: disk.usedMb,
      };
    },
  };
}
