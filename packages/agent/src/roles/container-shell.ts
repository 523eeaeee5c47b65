// Runs a POSIX sh script inside a running container as root (`<engine> exec --user 0 <ctr> sh -c`)
// and keeps the combined output's tail. Reports how the script ended instead of throwing for a
// non-zero exit: deciding what a failure means is the caller's (detect, run-setup).
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { DEFAULT_LOG_TAIL_BYTES, LogTail } from './log-tail.js';

export interface ShellRun {
  /** The script's exit code; null when it was killed (timeout) or never ran. */
  exitCode: number | null;
  timedOut: boolean;
  /** The tail of stdout and stderr interleaved as they arrived. */
  output: string;
  truncated: boolean;
  /** The engine's own complaint when it refused the exec (exit 125: no such container…). */
  failure: string | null;
}

export interface ShellRunOptions {
  timeoutMs: number;
  tailBytes?: number;
}

/** Runs one script in one container; `container` is the engine's name or id for it. */
export type ContainerShell = (script: string, options: ShellRunOptions) => Promise<ShellRun>;

export interface ContainerShellOptions {
  /** The engine CLI: `podman` or `docker` (or a path to one). */
  binary: string;
  container: string;
}

export function createContainerShell(options: ContainerShellOptions): ContainerShell {
  if (options.container === '' || options.container.startsWith('-')) {
    throw new RangeError(`invalid container reference "${options.container}"`);
  }
  return async (script, runOptions) => {
    const tail = new LogTail(runOptions.tailBytes ?? DEFAULT_LOG_TAIL_BYTES);
    // Root because package managers need it, whatever USER the image declares; `sh -c` with the
    // script as one argv element, so no quoting layer sits between the agent and the shell.
    const args = ['exec', '--user', '0', options.container, 'sh', '-c', script, 'rexec-setup'];
    const subprocess = execa(options.binary, args, {
      all: true,
      buffer: false,
      reject: false,
      stdin: 'ignore',
      timeout: runOptions.timeoutMs,
      forceKillAfterDelay: 5_000,
      cwd: tmpdir(),
    });
    subprocess.all.on('data', (chunk: Buffer) => tail.push(chunk));
    const result = await subprocess;
    const failure = engineFailure(result.exitCode, tail.text());
    return {
      exitCode: result.timedOut ? null : (result.exitCode ?? null),
      timedOut: result.timedOut,
      output: tail.text(),
      truncated: tail.truncated,
      failure: result.timedOut ? null : failure,
    };
  };
}

// `exec` exits 125 when the engine itself refused (docker and podman agree on this). 126 and 127
// may be the engine (no `sh` in the image) or the script (a missing command), so they are left to
// the caller, who knows how its script ends.
function engineFailure(exitCode: number | undefined, output: string): string | null {
  if (exitCode !== 125) return null;
  return output.trim().split('\n').at(-1)?.trim() || 'exec exited 125';
}
