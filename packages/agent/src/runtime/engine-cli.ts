// Runs one engine command (docker or podman) through execa with an argv array and turns a failure
// into a RuntimeError whose code comes from the engine's stderr. Knows nothing about containers:
// what to run and how to read stdout is the caller's (cli-runtime.ts, parsers).
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { RuntimeError } from './errors.js';
import type { RuntimeErrorCode } from './errors.js';
import { redactArgs } from './run-args.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export interface EngineCommandOptions {
  timeoutMs?: number;
}

/** Where each engine call's verb, outcome and time go (metrics); see engineVerb for the labels. */
export interface EngineCallRecorder {
  /** `outcome` is `ok`, `timeout`, or the failure's RuntimeErrorCode. */
  call(verb: string, outcome: string, seconds: number): void;
}

const VERBS: ReadonlySet<string> = new Set([
  'run',
  'create',
  'start',
  'stop',
  'kill',
  'rm',
  'inspect',
  'ps',
  'exec',
  'pull',
  'tag',
  'info',
  'version',
  'logs',
  'cp',
  'wait',
  'events',
  'restart',
  'update',
  'umount',
]);
const GROUPS: ReadonlySet<string> = new Set(['image', 'volume', 'network', 'container', 'system']);
const GROUP_VERBS: ReadonlySet<string> = new Set([
  'create',
  'rm',
  'ls',
  'inspect',
  'exists',
  'prune',
]);

/**
 * The verb of an engine command as a metric label (`run`, `volume rm`): from fixed lists, so
 * an argument (a name, an image) never becomes a label value; anything else is `other`.
 */
export function engineVerb(args: readonly string[]): string {
  const [first = '', second = ''] = args;
  if (VERBS.has(first)) return first;
  if (GROUPS.has(first)) return GROUP_VERBS.has(second) ? `${first} ${second}` : first;
  return 'other';
}

export interface EngineCli {
  readonly binary: string;
  /** Runs the command and returns its stdout; throws RuntimeError on any failure. */
  run(args: readonly string[], options?: EngineCommandOptions): Promise<string>;
}

// Phrases docker and podman print for each failure; checked in order, first match wins.
const STDERR_CODES: readonly [RegExp, RuntimeErrorCode][] = [
  [
    /image not known|no such image|unable to find image|manifest unknown|pull access denied/i,
    'image_missing',
  ],
  [
    /no such (container|object|volume)|no container with name or id|no volume with name/i,
    'not_found',
  ],
  [/already in use|already exists|is in use|conflict/i, 'conflict'],
];

export function classifyStderr(stderr: string): RuntimeErrorCode {
  for (const [pattern, code] of STDERR_CODES) {
    if (pattern.test(stderr)) return code;
  }
  return 'engine_failed';
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

const NO_RECORDER: EngineCallRecorder = { call: () => undefined };

export function createEngineCli(binary: string, recorder = NO_RECORDER): EngineCli {
  return {
    binary,
    async run(args, options = {}) {
      const command = [binary, ...redactArgs(args)];
      const started = performance.now();
      const record = (outcome: string) =>
        recorder.call(engineVerb(args), outcome, (performance.now() - started) / 1000);
      const result = await execa(binary, [...args], {
        reject: false,
        timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        stdin: 'ignore',
        // conmon under podman 4.3 writes an `oom` marker file into its working directory; keep
        // it out of whatever directory the agent (or a test run) was started from.
        cwd: tmpdir(),
      });
      if (!result.failed) {
        record('ok');
        return result.stdout;
      }
      const exitCode = result.exitCode ?? null;
      const stderr = result.stderr;
      if (result.timedOut) {
        record('timeout');
        throw new RuntimeError(`${command.join(' ')} timed out`, {
          code: 'engine_failed',
          command,
          exitCode,
          stderr,
          cause: result,
        });
      }
      const code = exitCode === null ? 'engine_failed' : classifyStderr(stderr);
      record(code);
      const reason = lastLine(stderr) || result.shortMessage;
      throw new RuntimeError(`${binary} ${args[0] ?? ''} failed: ${reason}`, {
        code,
        command,
        exitCode,
        stderr,
        cause: result,
      });
    },
  };
}
