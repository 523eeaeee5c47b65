// The apt setup scripts really run: python and node installed from deb.debian.org into the local
// Debian bookworm image (its containers on the default bridge reach the archive), then used.
// Slow by nature (a couple of minutes each), hence the longer file timeout.
import t from 'tap';
import { runRoleSetup } from '../../../packages/agent/src/roles/run-setup.js';
import { DEBIAN_IMAGE, engine, idleContainer } from './fixture.js';

t.setTimeout(900_000);

void t.test('the python role leaves python3, pip and venv working in Debian', async (t) => {
  const { kind, name, shell } = await idleContainer(t, DEBIAN_IMAGE);
  const outcome = await runRoleSetup({ shell, role: 'python' });
  if (outcome.kind !== 'succeeded') {
    t.fail('setup failed', { log: outcome.kind === 'failed' ? outcome.log.slice(-2000) : '' });
    return;
  }
  t.equal(outcome.packageManager, 'apt');
  t.match(outcome.log, /rexec-role-setup: role python is ready\n$/);
  const version = await engine(kind, ['exec', name, 'python3', '--version']);
  t.match(version.stdout, /^Python 3\.\d+\.\d+$/);
  const venv = await engine(kind, [
    'exec',
    name,
    'sh',
    '-c',
    'python3 -m venv /tmp/v && /tmp/v/bin/pip --version',
  ]);
  t.match(venv.stdout, /^pip \d+/);
});

void t.test('the node role leaves node and npm working in Debian', async (t) => {
  const { kind, name, shell } = await idleContainer(t, DEBIAN_IMAGE);
  const outcome = await runRoleSetup({ shell, role: 'node' });
  if (outcome.kind !== 'succeeded') {
    t.fail('setup failed', { log: outcome.kind === 'failed' ? outcome.log.slice(-2000) : '' });
    return;
  }
  const version = await engine(kind, ['exec', name, 'node', '--version']);
  t.match(version.stdout, /^v\d+\.\d+\.\d+$/);
  const npm = await engine(kind, ['exec', name, 'npm', '--version']);
  t.match(npm.stdout, /^\d+\.\d+\.\d+$/);
});
