// Which CPUs the bench's own processes may run on: the browser apart from the fleet, as it is when
// a person opens the console on their own machine instead of on the host that runs the shell. On
// one machine with two cores the two otherwise take turns, and a frame waits for its turn.
// Uses util-linux's taskset; processes are found through /proc.
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { execa } from 'execa';

interface ProcessEntry {
  pid: number;
  parent: number;
  command: string;
}

async function processes(): Promise<ProcessEntry[]> {
  const entries: ProcessEntry[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const close = stat.lastIndexOf(')');
    const parent = Number(stat.slice(close + 2).split(' ')[1]);
    entries.push({ pid: Number(name), parent, command: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return entries;
}

/** Every process descended from `root`, the root included. */
async function tree(root: number): Promise<ProcessEntry[]> {
  const all = await processes();
  const found = all.filter((entry) => entry.pid === root);
  for (let at = 0; at < found.length; at++) {
    const pid = found[at]?.pid;
    found.push(...all.filter((entry) => entry.parent === pid));
  }
  return found;
}

async function pin(pids: readonly number[], cpus: string): Promise<void> {
  // A process that exited meanwhile fails its taskset; that is fine.
  await Promise.all(
    pids.map((pid) => execa('taskset', ['-a', '-p', '-c', cpus, String(pid)], { reject: false })),
  );
}

export interface Separation {
  /** How it was split, for the printed figures. */
  readonly description: string;
  /** Every process of the bench back on every CPU. */
  undo(): Promise<void>;
}

/**
 * Puts this process's browser (processes named chrom*) on the last CPU and every other process
 * of this bench (control plane, agent, engine, the bench itself) on the rest; what they start
 * later inherits it. Null on a machine with one CPU.
 */
export async function browserApart(): Promise<Separation | null> {
  const count = availableParallelism();
  if (count < 2) return null;
  const last = count - 1;
  const rest = last === 1 ? '0' : `0-${last - 1}`;
  const everything = `0-${last}`;
  const mine = await tree(process.pid);
  const browser = mine.filter((entry) => entry.command.startsWith('chrom')).map((e) => e.pid);
  const fleet = mine.filter((entry) => !browser.includes(entry.pid)).map((e) => e.pid);
  await pin(browser, String(last));
  await pin(fleet, rest);
  return {
    description: `browser on CPU ${last}, the fleet on CPU ${rest}`,
    async undo() {
      await pin(
        (await tree(process.pid)).map((entry) => entry.pid),
        everything,
      );
    },
  };
}
