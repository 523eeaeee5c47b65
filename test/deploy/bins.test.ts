// The three commands from a checkout, as the README gives them: after `npm ci && npm run build`,
// `npx rexec`, `npx rexec-control-plane` and `npx rexec-agent` run from the repository root (the
// root package.json's `bin`, so npx never asks the registry), and `npm link` puts all three on
// PATH, here under a throwaway npm prefix so the machine's global folder is never touched.
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';

const BINS = ['rexec', 'rexec-control-plane', 'rexec-agent'] as const;

/** The environment a user's shell would have: no npm script variables, no test loader. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('npm_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Each command's quickest honest answer: help for the CLI, the usage for an unknown flag. */
const EXPECTED: Record<(typeof BINS)[number], { args: string[]; exitCode: number; says: RegExp }> =
  {
    rexec: { args: ['help'], exitCode: 0, says: /usage: rexec <command>/ },
    'rexec-control-plane': {
      args: ['--no-such-flag'],
      exitCode: 2,
      says: /usage: rexec-control-plane .*--cpu-overcommit/,
    },
    'rexec-agent': {
      args: ['--no-such-flag'],
      exitCode: 2,
      says: /"code":"invalid_config".*bad command line: Unknown option '--no-such-flag'/,
    },
  };

void t.test('npx runs each command from the repository root without the registry', async (t) => {
  for (const bin of BINS) {
    const { args, exitCode, says } = EXPECTED[bin];
    const result = await execa('npx', ['--offline', bin, ...args], {
      cwd: REPO_ROOT,
      env: userEnv(),
      extendEnv: false,
      reject: false,
    });
    t.equal(result.exitCode, exitCode, `npx ${bin}: ${result.stderr}`);
    t.match(`${result.stdout}\n${result.stderr}`, says, `npx ${bin} is the real command`);
  }
});

void t.test('npm link puts all three on PATH, pointing at the checkout', async (t) => {
  const prefix = await mkdtemp(join(tmpdir(), 'rexec-npm-prefix-'));
  t.teardown(() => rm(prefix, { recursive: true, force: true }));
  const env = userEnv({ npm_config_prefix: prefix });
  const linked = await execa('npm', ['link', '--offline', '--no-audit', '--no-fund'], {
    cwd: REPO_ROOT,
    env,
    extendEnv: false,
    reject: false,
  });
  t.equal(linked.exitCode, 0, linked.stderr);
  const path = `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}`;
  for (const bin of BINS) {
    t.match(await readlink(join(prefix, 'bin', bin)), /dist\/(cli\/)?main\.js$/, `${bin} linked`);
    const { args, exitCode, says } = EXPECTED[bin];
    // By name through a shell, as a user types it: found on PATH, not by a path we hand it.
    const result = await execa('sh', ['-c', `${bin} ${args.join(' ')}`], {
      cwd: tmpdir(),
      env: { ...env, PATH: path },
      extendEnv: false,
      reject: false,
    });
    t.equal(result.exitCode, exitCode, `${bin} on PATH: ${result.stderr}`);
    t.match(`${result.stdout}\n${result.stderr}`, says, `${bin} on PATH is the real command`);
  }
  const unlinked = await execa('npm', ['rm', '-g', 'rexec', '--offline'], {
    cwd: REPO_ROOT,
    env,
    extendEnv: false,
    reject: false,
  });
  t.equal(unlinked.exitCode, 0, `npm rm -g rexec undoes it: ${unlinked.stderr}`);
  const gone = await execa('sh', ['-c', 'command -v rexec-agent'], {
    env: { ...env, PATH: join(prefix, 'bin') },
    extendEnv: false,
    reject: false,
  });
  t.not(gone.exitCode, 0, 'no rexec-agent left in the prefix');
});
