// The docs' examples, run. Every `sh` and `ts` fence in README.md, deploy/README.md and
// packages/sdk/README.md carries a marker on the last non-blank line before it:
//   <!-- docs-test: run -->             this test runs it, and it must succeed;
//   <!-- docs-test: skip: <reason> -->  it cannot run here (sudo, systemd, another host…), and says why.
// An unmarked example fails the test, so a new one is either run or explained. Runnable examples
// run in document order against a real control plane (fresh Postgres) and a real agent on podman,
// both started through test/e2e/fleet.ts, each in a fresh bash (`set -euo pipefail`) or as a
// TypeScript module under tsx, in one working directory whose `.rexec/admin-token` holds the
// admin's token, as after `npm start`. What the harness changes, and only this: the docs' address
// http://127.0.0.1:8080 becomes the started control plane's (8080 may be taken on a shared
// machine); `curl` fails on an HTTP error (`--fail-with-body`), so an example whose call is refused
// fails instead of printing the error; stdin is `exit` and a newline, what a user types to leave
// `rexec shell`; `rexec` and the other commands are on PATH through
// `npm link` under a throwaway npm prefix, as the README says; TypeScript examples get
// REXEC_TOKEN (the admin's token) in their environment; the CLI's login goes to a throwaway
// XDG_CONFIG_HOME.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';
import { startFleet } from '../e2e/fleet.js';
import { docBlocks, type DocBlock } from './doc-blocks.js';

const DOCS = ['README.md', 'deploy/README.md', 'packages/sdk/README.md'];
const DOCS_ADDRESS = 'http://127.0.0.1:8080';
const EXAMPLE_TIMEOUT_MS = 120_000;

t.setTimeout(600_000);

/** tsx by file URL: the examples run in a directory outside the repository. */
const TSX = import.meta.resolve('tsx');

/**
 * Runs one example in its own process group, killed whole when it overruns (a `rexec shell` or
 * an agent it started would otherwise keep the pipes open after the shell is gone).
 */
async function runExample(
  [file, args]: [string, string[]],
  cwd: string,
  env: Record<string, string>,
) {
  const child = execa(file, args, {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    // What a user types to leave `rexec shell`; nothing else in the examples reads stdin.
    input: 'exit\n',
    detached: true,
    all: true,
  });
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, EXAMPLE_TIMEOUT_MS);
  try {
    return await child;
  } finally {
    clearTimeout(timer);
  }
}

async function allBlocks(): Promise<DocBlock[]> {
  const lists = await Promise.all(DOCS.map((file) => docBlocks(join(REPO_ROOT, file), file)));
  return lists.flat();
}

/** A user's shell environment: no npm script variables and no test loader. */
function userEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('npm_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

void t.test('every shell and TypeScript example is marked run or skip with a reason', async (t) => {
  const blocks = await allBlocks();
  for (const block of blocks) {
    t.not(block.mode, 'unmarked', `${block.file}:${block.line} needs a docs-test marker`);
    if (block.mode === 'skip') t.ok(block.reason, `${block.file}:${block.line} says why it skips`);
  }
  const run = blocks.filter((block) => block.mode === 'run');
  t.ok(
    run.some((block) => block.lang === 'sh' && block.code.includes('curl')),
    'curl lines run',
  );
  t.ok(
    run.some((block) => block.code.includes('rexec login')),
    'the CLI session runs',
  );
  t.ok(
    run.some((block) => block.lang === 'ts'),
    'the SDK snippet runs',
  );
});

void t.test('the runnable examples work against a real control plane and agent', async (t) => {
  const runnable = (await allBlocks()).filter((block) => block.mode === 'run');
  const fleet = await startFleet(t);
  await fleet.joinAgent('docs-examples');
  const base = fleet.controlPlane.url.replace(/\/+$/, '');

  const work = await mkdtemp(join(tmpdir(), 'rexec-docs-'));
  const prefix = await mkdtemp(join(tmpdir(), 'rexec-docs-prefix-'));
  const modules = await mkdtemp(join(REPO_ROOT, 'node_modules', '.rexec-docs-'));
  t.teardown(async () => {
    for (const dir of [work, prefix, modules]) await rm(dir, { recursive: true, force: true });
  });
  await mkdir(join(work, '.rexec'), { mode: 0o700 });
  await writeFile(join(work, '.rexec', 'admin-token'), `${fleet.controlPlane.adminToken}\n`);
  await chmod(join(work, '.rexec', 'admin-token'), 0o600);

  const env = userEnv({
    npm_config_prefix: prefix,
    PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}`,
    XDG_CONFIG_HOME: join(work, 'config'),
    REXEC_TOKEN: fleet.controlPlane.adminToken,
  });
  const linked = await execa('npm', ['link', '--offline', '--no-audit', '--no-fund'], {
    cwd: REPO_ROOT,
    env,
    extendEnv: false,
    reject: false,
  });
  t.equal(linked.exitCode, 0, `npm link: ${linked.stderr}`);

  for (const [index, block] of runnable.entries()) {
    const code = block.code.replaceAll(DOCS_ADDRESS, base);
    const where = `${block.file}:${block.line}`;
    let command: [string, string[]];
    if (block.lang === 'sh') {
      // -x: a failure shows which line of the example it was.
      const script = `set -euxo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${code}\n`;
      command = ['bash', ['-c', script]];
    } else {
      const file = join(modules, `example-${index}.mts`);
      await writeFile(file, `${code}\n`);
      command = ['node', [`--import=${TSX}`, '--conditions=rexec-source', file]];
    }
    const result = await runExample(command, work, env);
    // The output is shown only when the example fails.
    t.equal(result.exitCode, 0, `${where} runs (${block.lang})`, { output: result.all });
  }
});
