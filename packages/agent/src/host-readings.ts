// The kernel's memory and CPU time figures, read from /proc and parsed. What they mean for
// capacity and usage is capacity.ts's; the agent runs on Linux only.
import { readFile } from 'node:fs/promises';

export interface MemoryReading {
  totalBytes: number;
  /** MemAvailable: what could be handed out without swapping, page cache included. */
  availableBytes: number;
}

/** Cumulative CPU time of all cores since boot, in clock ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** The kB figures of /proc/meminfo by name. */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const match of text.matchAll(/^(\w+(?:\(\w+\))?):\s+(\d+) kB$/gm)) {
    fields.set(match[1] ?? '', Number(match[2]) * 1024);
  }
  return fields;
}

export function memoryFrom(fields: ReadonlyMap<string, number>): MemoryReading {
  const total = fields.get('MemTotal');
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal line');
  const kb = (name: string) => fields.get(name) ?? 0;
  // Kernels before 3.14 have no MemAvailable: free memory and the reclaimable caches instead.
  const available =
    fields.get('MemAvailable') ?? kb('MemFree') + kb('Buffers') + kb('Cached') + kb('SReclaimable');
  return { totalBytes: total, availableBytes: available };
}

export async function readMemory(): Promise<MemoryReading> {
  return memoryFrom(parseMeminfo(await readFile('/proc/meminfo', 'utf8')));
}

/**
 * The aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal …), split
 * as top does: waiting for I/O is idle, interrupts and time stolen by a hypervisor are busy. Guest
 * time is already inside user and nice.
 */
export function parseCpuTimes(text: string): CpuTimes {
  const line = /^cpu\s+([\d\s]+)$/m.exec(text)?.[1];
  if (line === undefined) throw new Error('/proc/stat has no aggregate cpu line');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export async function readCpuTimes(): Promise<CpuTimes> {
  return parseCpuTimes(await readFile('/proc/stat', 'utf8'));
}
