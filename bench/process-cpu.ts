// CPU time per party of a benchmark, from /proc: a process (the control plane), a whole Postgres
// server (postmaster, reaped and live children) and the machine's busy time, next to this
// process's own. Linux only; what the figures mean is the benchmark's to say.
import { readFile, readdir } from 'node:fs/promises';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/** A process's own CPU ticks (user + system) and, with `reaped`, those of its reaped children. */
function statTicks(stat: string, reaped: boolean): { ppid: number; ticks: number } {
  // Fields after the parenthesised command name: state is the 3rd overall, ppid the 4th, utime,
  // stime, cutime and cstime the 14th to 17th.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const own = (fields[11] ?? 0) + (fields[12] ?? 0);
  return {
    ppid: fields[1] ?? 0,
    ticks: own + (reaped ? (fields[13] ?? 0) + (fields[14] ?? 0) : 0),
  };
}

async function processTicks(pid: number): Promise<number> {
  return statTicks(await readFile(`/proc/${pid}/stat`, 'utf8'), false).ticks;
}

/**
 * CPU ticks of the whole Postgres server: the postmaster with the children it has reaped, plus
 * every live child (backends, walwriter, autovacuum…). A backend that ends in between moves its
 * ticks from the live sum into the postmaster's reaped sum, so differences stay right.
 */
async function postgresTicks(postmaster: number): Promise<number> {
  let ticks = statTicks(await readFile(`/proc/${postmaster}/stat`, 'utf8'), true).ticks;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process can end between readdir and the read; it then simply does not count.
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    const child = statTicks(stat, false);
    if (child.ppid === postmaster) ticks += child.ticks;
  }
  return ticks;
}

/** Busy ticks of all cores together since boot (everything but idle and iowait), from /proc/stat. */
async function machineBusyTicks(): Promise<number> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const total = [user, nice, system, idle, iowait, irq, softirq, steal].reduce<number>(
    (sum, value) => sum + (value ?? 0),
    0,
  );
  return total - (idle ?? 0) - (iowait ?? 0);
}

/** CPU milliseconds so far per party of the benchmark, and of the whole machine. */
export interface CpuSample {
  controlPlane: number;
  postgres: number;
  bench: number;
  machine: number;
}

export async function sampleCpu(controlPlane: number, postmaster: number): Promise<CpuSample> {
  const usage = process.cpuUsage();
  const toMs = (ticks: number) => (1000 * ticks) / TICKS_PER_S;
  return {
    controlPlane: toMs(await processTicks(controlPlane)),
    postgres: toMs(await postgresTicks(postmaster)),
    bench: (usage.user + usage.system) / 1000,
    machine: toMs(await machineBusyTicks()),
  };
}

/** One process's CPU milliseconds so far (user + system, without its children). */
export async function processCpuMs(pid: number): Promise<number> {
  return (1000 * (await processTicks(pid))) / TICKS_PER_S;
}

/** The machine's busy CPU milliseconds so far, all cores together. */
export async function machineBusyMs(): Promise<number> {
  return (1000 * (await machineBusyTicks())) / TICKS_PER_S;
}

export async function postmasterPid(pgData: string): Promise<number> {
  const pid = Number((await readFile(`${pgData}/postmaster.pid`, 'utf8')).split('\n', 1)[0]);
  if (!Number.isInteger(pid) || pid < 1) throw new Error(`no postmaster pid in ${pgData}`);
  return pid;
}

/** VmRSS (now) and VmHWM (its peak) of a process, in MB. */
export async function processMemoryMb(
  pid: number | undefined,
): Promise<{ rss: number; peak: number }> {
  if (pid === undefined) throw new Error('the process has no pid');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
