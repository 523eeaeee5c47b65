// Runs the `rexec` CLI as a real process, the way a user's shell does: through tsx from source,
// with its own HOME and XDG_CONFIG_HOME and no REXEC_* variables leaking in from the test run.
// Either with pipes (execa) or under a pseudo-terminal (node-pty) for the interactive paths.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { spawn, type IPty } from 'node-pty';
import type { Test } from 'tap';
import { REPO_ROOT, removeAfterProcesses } from '../helpers/child-process.js';

const ENTRY = 'packages/sdk/src/cli/main.ts';
const NODE_ARGS = ['--import', 'tsx', '--conditions=rexec-source', ENTRY];

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Cli {
  configHome: string;
  run(
    args: string[],
    options?: { env?: Record<string, string>; input?: string },
  ): Promise<CliResult>;
  /** Starts the CLI under a PTY of cols×rows; the caller drives and awaits it. */
  pty(args: string[], size?: { cols: number; rows: number }): PtySession;
}

export interface PtySession {
  pty: IPty;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number>;
}

function baseEnv(home: string, configHome: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('REXEC_')) continue;
    // tap's own variables would make the child report to tap as if it were a test.
    if (key.startsWith('TAP') || key.startsWith('_TAPJS_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, HOME: home, XDG_CONFIG_HOME: configHome, TERM: 'xterm' };
}

export async function cliFixture(t: Test): Promise<Cli> {
  const home = await mkdtemp(join(tmpdir(), 'rexec-cli-home-'));
  removeAfterProcesses(t, home);
  const configHome = join(home, 'config');
  const env = baseEnv(home, configHome);
  return {
    configHome,
    async run(args, options = {}) {
      const result = await execa('node', [...NODE_ARGS, ...args], {
        cwd: REPO_ROOT,
        env: { ...env, ...options.env },
        extendEnv: false,
        reject: false,
        timeout: 180_000,
        ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    pty(args, size = { cols: 90, rows: 25 }) {
      const pty = spawn('node', [...NODE_ARGS, ...args], {
        name: 'xterm',
        cwd: REPO_ROOT,
        env,
        cols: size.cols,
        rows: size.rows,
      });
      let output = '';
      const waiters = new Set<() => void>();
      pty.onData((data) => {
        output += data;
        for (const wake of waiters) wake();
      });
      const exited = new Promise<number>((resolve) =>
        pty.onExit(({ exitCode }) => resolve(exitCode)),
      );
      t.teardown(() => {
        try {
          pty.kill();
        } catch {
          // Already exited: nothing to stop.
        }
      });
      return {
        pty,
        output: () => output,
        exited,
        waitFor(pattern, timeoutMs = 60_000) {
          return new Promise((resolve, reject) => {
            const check = (): void => {
              if (!pattern.test(output)) return;
              waiters.delete(check);
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              reject(new Error(`PTY output never matched ${pattern}; got:\n${output}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      };
    },
  };
}
