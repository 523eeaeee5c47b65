// The files under deploy/ as tools see them: `bash -n` and shellcheck accept every script,
// systemd-analyze accepts both units, and --dry-run into a temporary root prints its plan and
// writes nothing. Real installs into a temporary root are the install-*.test.ts suites'.
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { DEPLOY, SCRIPTS, UNITS, script, snapshot, tempRoot } from './deploy-fixture.js';

void t.test('shellcheck and bash -n accept every deploy script', async (t) => {
  for (const name of SCRIPTS) {
    const syntax = await execa('bash', ['-n', join(DEPLOY, name)], { reject: false });
    t.equal(syntax.exitCode, 0, `bash -n ${name}: ${syntax.stderr}`);
    const lint = await execa('shellcheck', ['-x', join(DEPLOY, name)], { reject: false });
    t.equal(lint.exitCode, 0, `shellcheck ${name}:\n${lint.stdout}`);
  }
});

void t.test('systemd-analyze verify accepts both units', async (t) => {
  const verify = await execa('systemd-analyze', ['verify', ...UNITS.map((u) => join(DEPLOY, u))], {
    reject: false,
  });
  t.equal(verify.exitCode, 0, verify.stderr);
  t.equal(verify.stderr, '', 'no warnings');
});

void t.test('--dry-run prints the plan and writes nothing', async (t) => {
  const root = await tempRoot(t);
  const plane = await script('install-control-plane.sh', ['--root', root, '--dry-run']);
  t.equal(plane.exitCode, 0, plane.stderr);
  t.match(plane.stdout, /would install .*control-plane\.env|would run: install -D -m 0600/);
  const agent = await script('install-agent.sh', [
    '--root',
    root,
    '--dry-run',
    '--url',
    'http://cp:8080',
    '--join-token',
    'jt_x',
  ]);
  t.equal(agent.exitCode, 0, agent.stderr);
  t.same(await snapshot(root), [], 'nothing was written');
});
