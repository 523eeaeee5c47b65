// uninstall.sh --root on a temporary root holding both installs: it removes the code and the units
// and keeps the env files and state directories, --purge removes those too, and a second run is
// harmless. No systemctl or user is touched.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { script, snapshot, tempRoot } from './deploy-fixture.js';

// Two installs copy their dependencies first: minutes on a busy 2-core machine.
t.setTimeout(600_000);

void t.test('uninstall.sh --root removes code and units, keeps state unless --purge', async (t) => {
  const root = await tempRoot(t);
  const plane = await script('install-control-plane.sh', ['--root', root]);
  t.equal(plane.exitCode, 0, plane.stderr);
  const agent = await script('install-agent.sh', [
    '--root',
    root,
    '--url',
    'http://cp:8080',
    '--join-token',
    'jt_x',
  ]);
  t.equal(agent.exitCode, 0, agent.stderr);

  const keep = await script('uninstall.sh', ['--root', root]);
  t.equal(keep.exitCode, 0, keep.stderr);
  for (const gone of [
    'opt/rexec',
    'etc/systemd/system/rexec-control-plane.service',
    'etc/systemd/system/rexec-agent.service',
  ]) {
    t.notOk(existsSync(join(root, gone)), `${gone} is removed`);
  }
  for (const kept of [
    'etc/rexec/control-plane.env',
    'etc/rexec/agent.env',
    'var/lib/rexec',
    'var/lib/rexec-agent',
  ]) {
    t.ok(existsSync(join(root, kept)), `${kept} is kept`);
  }

  const purge = await script('uninstall.sh', ['--root', root, '--purge']);
  t.equal(purge.exitCode, 0, purge.stderr);
  t.match(purge.stdout + purge.stderr, 'skipping rexec-agent purge --yes (--root or --dry-run)');
  const left = await snapshot(root);
  t.notOk(
    left.some((line) => /rexec/.test(line)),
    `nothing of Rexec is left: ${left.join(', ')}`,
  );
  const again = await script('uninstall.sh', ['--root', root, '--purge']);
  t.equal(again.exitCode, 0, 'uninstalling twice is fine');
});
