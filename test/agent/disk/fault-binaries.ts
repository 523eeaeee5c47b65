// Real programs that fail on demand, for the disk monitor's error paths: an engine binary that
// wraps the real docker or podman and fails the subcommands a test names (everything else is the
// real engine), and a `du` first on PATH that never finishes for the directories a test names
// (everything else is the real du). The monitor under test runs unchanged against them.
import { chmod, mkdtemp, rm, writeFile, appendFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import type { Test } from 'tap';
import type { EngineKind } from '../../helpers/engine.js';

async function scratch(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function realBinary(name: string): Promise<string> {
  return (await execa('sh', ['-c', `command -v ${name}`])).stdout.trim();
}

/** Shell single quotes around a path made by mkdtemp (no quote in it). */
function quoted(path: string): string {
  return `'${path}'`;
}

export interface FailingEngine {
  /** The wrapper, for the runtime's `binary` option. */
  binary: string;
  /** From now on `<engine> <subcommand> …` exits 125 with an engine-like message. */
  fail(subcommand: string): Promise<void>;
  /** From now on `<engine> <subcommand> …` is the real engine again. */
  heal(subcommand: string): Promise<void>;
}

export async function failingEngine(t: Test, kind: EngineKind): Promise<FailingEngine> {
  const dir = await scratch(t, 'rexec-failing-engine-');
  const binary = join(dir, kind);
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      `if [ -e ${quoted(dir)}/fail-"$1" ]; then`,
      '  echo "Error: injected failure of $1 (test)" >&2',
      '  exit 125',
      'fi',
      `exec ${quoted(await realBinary(kind))} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return {
    binary,
    fail: (subcommand) => writeFile(join(dir, `fail-${subcommand}`), ''),
    heal: (subcommand) => rm(join(dir, `fail-${subcommand}`), { force: true }),
  };
}

export interface HangingDu {
  /** From now on a du given `dir` never finishes (until it is killed). */
  hangOn(dir: string): Promise<void>;
  /** The process ids of the du runs that hung so far. */
  hungPids(): Promise<number[]>;
}

/** Puts a `du` wrapper first on this process's PATH (restored at teardown). */
export async function hangingDu(t: Test): Promise<HangingDu> {
  const dir = await scratch(t, 'rexec-hanging-du-');
  const hangList = join(dir, 'hang-on');
  const pids = join(dir, 'hung-pids');
  await writeFile(hangList, '');
  await writeFile(
    join(dir, 'du'),
    [
      '#!/bin/sh',
      'for arg in "$@"; do',
      `  if grep -qxF -- "$arg" ${quoted(hangList)}; then`,
      `    echo $$ >> ${quoted(pids)}`,
      // exec: the du's own pid sleeps, so the kill at the timeout reaches the sleeper itself.
      '    exec sleep 3600',
      '  fi',
      'done',
      `exec ${quoted(await realBinary('du'))} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(join(dir, 'du'), 0o755);
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}${delimiter}${path ?? ''}`;
  t.teardown(() => {
    process.env['PATH'] = path;
  });
  return {
    hangOn: (target) => appendFile(hangList, `${target}\n`),
    async hungPids() {
      const text = await readFile(pids, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map(Number);
    },
  };
}
