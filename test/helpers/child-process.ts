// Spawns a Rexec process (a TypeScript entry run through tsx) for end-to-end suites, waits for the
// JSON log line that says it is ready, keeps its recent output for failure messages, and stops it
// in t.teardown. What each process needs in its environment is processes.ts's job.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const OUTPUT_LIMIT_LINES = 400;
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

export type SpawnOptions = {
  /** Short label used in error messages, e.g. "control plane". */
  name: string;
  /** Entry file relative to the repository root. */
  entry: string;
  /** The entry is built JavaScript (dist/, as `npm start` runs it): plain node, no tsx. */
  built?: boolean;
  env: Record<string, string>;
  /** The value of the `msg` field of the log line that means "ready". */
  readyMsg: string;
  readyTimeoutMs?: number;
  /** How long stop() waits after its signal before SIGKILL. */
  stopGraceMs?: number;
  /**
   * A command that execs the process it is given as its last arguments (a mount namespace that
   * hides a binary, say); it must exec, not fork, so signals reach the process itself.
   */
  wrap?: readonly string[];
};

export type RunningProcess = {
  process: ChildProcess;
  /** The parsed ready log line. */
  ready: Record<string, unknown>;
  /** The last lines the process wrote, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM (or signal), then SIGKILL after a grace period; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

type Cleanup = { processes: RunningProcess[]; directories: string[] };
const cleanups = new WeakMap<Test, Cleanup>();

/**
 * One teardown per test stops every process it started, newest first, and only then removes their
 * temp directories, so a process restarted on an earlier process's directory never loses it early.
 */
function cleanupFor(t: Test): Cleanup {
  let cleanup = cleanups.get(t);
  if (cleanup === undefined) {
    const created: Cleanup = { processes: [], directories: [] };
    cleanups.set(t, created);
    t.teardown(async () => {
      for (const running of [...created.processes].reverse()) await running.stop();
      for (const dir of created.directories) await rm(dir, { recursive: true, force: true });
    });
    cleanup = created;
  }
  return cleanup;
}

/** Deletes dir after every process this test started has stopped. */
export function removeAfterProcesses(t: Test, dir: string): void {
  cleanupFor(t).directories.push(dir);
}

/** The parent's environment minus tap's and Rexec's own variables, so children start clean. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('REXEC_') && !key.startsWith('REXEC_TEST_')) continue;
    if (key.startsWith('TAP') || key.startsWith('_TAPJS_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}

export function parseLogLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null; // a non-JSON line is ordinary output, kept only for failure messages
  }
}

function exitCodeOf(child: ChildProcess): number | null | undefined {
  if (child.exitCode !== null) return child.exitCode;
  return child.signalCode !== null ? null : undefined;
}

async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<number | null> {
  const done = exitCodeOf(child);
  if (done !== undefined) return done;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    const [code] = await exited;
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `node --import tsx --conditions=rexec-source <entry>` (`node <entry>` when built) and
 * waits until it logs readyMsg.
 */
export async function spawnUntilReady(t: Test, options: SpawnOptions): Promise<RunningProcess> {
  const argv =
    options.built === true
      ? [process.execPath, options.entry]
      : [process.execPath, '--import', 'tsx', '--conditions=rexec-source', options.entry];
  const [file, ...args] = [...(options.wrap ?? []), ...argv] as [string, ...string[]];
  const child = spawn(file, args, {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > OUTPUT_LIMIT_LINES) lines.shift();
  };
  const output = () => lines.join('\n');
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    stopChild(child, signal, options.stopGraceMs ?? STOP_GRACE_MS);
  const running: Omit<RunningProcess, 'ready'> = { process: child, output, stop };
  cleanupFor(t).processes.push({ ...running, ready: {} });

  createInterface({ input: child.stderr }).on('line', keep);
  const stdout = createInterface({ input: child.stdout });
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} (${options.entry}) ${reason}; its output:\n${output()}`));
    };
    const timer = setTimeout(() => {
      fail(`did not log "msg":"${options.readyMsg}" within ${timeoutMs} ms`);
      void stop('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => fail(`could not be spawned: ${error.message}`));
    child.once('exit', (code, signal) =>
      fail(`exited (code ${code}, signal ${signal}) before ready`),
    );
    stdout.on('line', (line) => {
      keep(line);
      if (parseLogLine(line)?.['msg'] === options.readyMsg) {
        clearTimeout(timer);
        resolve(parseLogLine(line) ?? {});
      }
    });
  });
  return { ...running, ready };
}
