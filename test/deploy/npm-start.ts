// Runs the real `npm start` (or `node scripts/start.mjs` under a chosen PATH) for the deploy suites:
// in its own process group, as a terminal would, so a Ctrl-C is SIGINT to the whole group; waits
// for the printed summary and parses the URL, token and curl line out of it; lists the process
// tree from /proc so a suite can prove that nothing outlives a stop. Assertions are the suites'.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';

const READY_TIMEOUT_MS = 240_000; // a stale workspace is rebuilt first (tsc -b, ~1 min on 2 cores)
const STOP_TIMEOUT_MS = 60_000;
const SUMMARY_END = 'Press Ctrl-C to stop Rexec';

export interface StartSummary {
  url: string;
  /** The web console's address. */
  console: string;
  adminToken: string;
  host: string;
  curlCreate: string | undefined;
}

export interface NpmStart {
  process: ChildProcess;
  summary: StartSummary;
  stdout(): string;
  stderr(): string;
  /** Sends signal to the whole process group (a terminal's Ctrl-C) and resolves to the exit code. */
  interrupt(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment minus tap's and Rexec's own variables, plus the given ones. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('REXEC_') || key === 'NODE_OPTIONS') continue;
    if (key.startsWith('TAP') || key.startsWith('_TAPJS_') || key.startsWith('npm_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function field(text: string, label: string): string {
  const match = new RegExp(`^  ${label}:\\s+(\\S+)`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`no "${label}:" line in:\n${text}`);
  return match[1];
}

function parseSummary(text: string): StartSummary {
  const host = /^ {2}Host:\s+(.+)$/m.exec(text)?.[1];
  if (host === undefined) throw new Error(`no "Host:" line in:\n${text}`);
  return {
    url: field(text, 'URL'),
    console: field(text, 'Console'),
    adminToken: field(text, 'Admin token'),
    host,
    curlCreate: /^ {2}(curl -s -X POST .+)$/m.exec(text)?.[1],
  };
}

/** Starts `command args` in REPO_ROOT and waits for the summary; killed at teardown if still up. */
export async function startRexec(
  t: Test,
  env: Record<string, string>,
  command: { file: string; args: string[] } = { file: 'npm', args: ['start'] },
): Promise<NpmStart> {
  const child = spawn(command.file, command.args, {
    cwd: REPO_ROOT,
    env: childEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGKILL');
    }
  });

  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    const check = () => {
      if (stdout.includes(SUMMARY_END)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(stdout.includes(SUMMARY_END));
    });
  });
  if (!ready) {
    throw new Error(`npm start printed no summary; stdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  return {
    process: child,
    summary: parseSummary(stdout),
    stdout: () => stdout,
    stderr: () => stderr,
    async interrupt(signal = 'SIGINT') {
      if (child.pid === undefined) throw new Error('npm start has no pid');
      process.kill(-child.pid, signal);
      const timer = setTimeout(() => process.kill(-(child.pid ?? 0), 'SIGKILL'), STOP_TIMEOUT_MS);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Every live descendant of pid (children in other process groups included), from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command, which may itself contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      continue; // the process ended while /proc was being read: it is no descendant any more
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift();
    for (const [child, parent] of parents) {
      if (parent === current) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** True while /proc has the pid and it is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
