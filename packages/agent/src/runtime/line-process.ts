// Keeps one long-running CLI process (an engine's `events`, `dmesg --follow-new`) alive and hands
// its stdout to a callback line by line, restarting it with capped backoff when it dies. What the
// lines mean is the caller's business; this file only owns the process and its timers.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Logger } from 'pino';

export interface LineProcessOptions {
  binary: string;
  /** argv for each start; `restart` is true after the first start (e.g. to add `--since`). */
  args: (restart: boolean) => string[];
  onLine: (line: string) => void;
  /** Called when a running process ended by itself and is about to be restarted. */
  onRestart?: (reason: Error) => void;
  /** Give up after this many consecutive starts that die within `healthyAfterMs`; default never. */
  maxQuickFailures?: number;
  onGiveUp?: (reason: Error) => void;
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  healthyAfterMs?: number;
}

export interface LineProcess {
  stop(): Promise<void>;
}

const STDERR_TAIL_CHARS = 2000;

/**
 * util-linux's setpriv, which has the kernel kill the process when the agent dies (its parent
 * death signal): an agent killed with SIGKILL, or by the OOM killer, cannot stop it itself, and an
 * `events` process whose host has no containers would otherwise wait for an event for ever.
 */
const SETPRIV = '/usr/bin/setpriv';
let setprivThere: boolean | undefined;

/** The argv that runs `binary args` so it dies with this process, where the host allows it. */
export function diesWithParent(binary: string, args: readonly string[]): [string, string[]] {
  setprivThere ??= existsSync(SETPRIV);
  return setprivThere
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args]]
    : [binary, [...args]];
}

export function startLineProcess(options: LineProcessOptions): LineProcess {
  const minBackoffMs = options.minBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const healthyAfterMs = options.healthyAfterMs ?? 2000;
  let stopped = false;
  let quickFailures = 0;
  let backoffMs = minBackoffMs;
  let timer: NodeJS.Timeout | undefined;
  let current: ReturnType<typeof execa> | undefined;
  let running: Promise<void> = Promise.resolve();
  let starts = 0;

  async function runOnce(): Promise<void> {
    const args = options.args(starts > 0);
    starts += 1;
    const startedAt = Date.now();
    const [file, argv] = diesWithParent(options.binary, args);
    const child = execa(file, argv, {
      buffer: false,
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    current = child;
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    if (child.stdout !== null) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        try {
          options.onLine(line);
        } catch (error) {
          // One bad line must not kill the stream that carries every later event.
          options.log.error(
            { err: error, line: line.slice(0, 500) },
            'line handler failed; line dropped',
          );
        }
      });
    }
    const result = await child;
    current = undefined;
    if (stopped) return;
    const reason = new Error(
      `${[options.binary, ...args].join(' ')} exited (code ${String(result.exitCode ?? result.signal)}): ` +
        (stderrTail.trim() || 'no stderr'),
    );
    const quick = Date.now() - startedAt < healthyAfterMs;
    quickFailures = quick ? quickFailures + 1 : 0;
    backoffMs = quick ? Math.min(backoffMs * 2, maxBackoffMs) : minBackoffMs;
    if (options.maxQuickFailures !== undefined && quickFailures >= options.maxQuickFailures) {
      options.onGiveUp?.(reason);
      return;
    }
    options.log.warn(
      { err: reason, retryInMs: backoffMs },
      'long-running engine command ended; restarting',
    );
    options.onRestart?.(reason);
    timer = setTimeout(() => {
      timer = undefined;
      running = runOnce();
    }, backoffMs);
  }

  running = runOnce();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      current?.kill('SIGTERM');
      await running;
    },
  };
}
