// Runs one benchmark script the way a person would (its own process, none of tap's or Rexec's
// variables inherited) and reads back its figures: the `  label   value` lines it prints, by label.
// For the smoke tests that keep the benchmarks from rotting; their speed is never asserted.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bench's `  label   value` lines by label. */
export function figures(stdout: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^ {2}(\S.{29}) (.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      lines.set(match[1].trim(), match[2]);
    }
  }
  return lines;
}

/** Runs `script` with `args` and `env`; throws with its whole output when it exits non-zero. */
export async function runBench(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<Map<string, string>> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS') continue;
    if (key.startsWith('TAP') || key.startsWith('_TAPJS_') || key.startsWith('REXEC_')) continue;
    clean[key] = value;
  }
  const run = await execa(
    process.execPath,
    ['--import', 'tsx', '--conditions=rexec-source', script, ...args],
    { cwd: ROOT, env: { ...clean, ...env }, extendEnv: false, reject: false, all: true },
  );
  if (run.exitCode !== 0) throw new Error(`${script} exited with ${run.exitCode}:\n${run.all}`);
  return figures(run.stdout);
}
