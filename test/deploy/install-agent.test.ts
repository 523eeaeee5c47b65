// install-agent.sh --root into a temporary root: refuses a missing join token or a bad URL, writes
// agent.env 0600 with the URL, token, host name and the terminal defaults, the unit and the 0700
// state directory, installs an agent whose modules all load, and a second run changes nothing; its
// package list is the agent's own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { debianPackagesFor } from '../../packages/agent/src/doctor/host-requirements.js';
import { mode, script, snapshot, tempRoot } from './deploy-fixture.js';

// Copying the dependencies takes a minute or more on a busy 2-core machine.
t.setTimeout(600_000);

void t.test(
  'install-agent.sh --root writes the join token 0600 and installs a runnable agent',
  async (t) => {
    const root = await tempRoot(t);
    const missing = await script('install-agent.sh', ['--root', root, '--url', 'http://cp:8080']);
    t.equal(missing.exitCode, 1);
    t.match(missing.stderr, /--join-token is required/);
    const badUrl = await script('install-agent.sh', ['--root', root, '--url', 'cp:8080']);
    t.match(badUrl.stderr, /--url must be an http/);

    const args = ['--root', root, '--url', 'https://cp.example', '--join-token', 'jt_abc123'];
    const first = await script('install-agent.sh', [...args, '--host-name', 'edge-1']);
    t.equal(first.exitCode, 0, first.stderr);
    const env = join(root, 'etc/rexec/agent.env');
    t.equal(await mode(env), '0600', 'agent.env is 0600');
    const envText = await readFile(env, 'utf8');
    t.match(envText, /^REXEC_URL=https:\/\/cp\.example$/m);
    t.match(envText, /^REXEC_JOIN_TOKEN=jt_abc123$/m);
    t.match(envText, /^REXEC_HOST_NAME=edge-1$/m);
    for (const variable of ['GRACE_SECONDS=300', 'SCROLLBACK_KB=256', 'MAX_SESSIONS=8']) {
      t.match(envText, new RegExp(`^REXEC_TERMINAL_${variable}$`, 'm'));
    }
    t.equal(await mode(join(root, 'etc/systemd/system/rexec-agent.service')), '0644');
    t.equal(await mode(join(root, 'var/lib/rexec-agent')), '0700');

    // Loading every module (node-pty included) happens before the configuration is read.
    const agent = await execa(
      process.execPath,
      [join(root, 'opt/rexec/agent/packages/agent/dist/main.js')],
      { reject: false, env: { REXEC_URL: '' }, extendEnv: false },
    );
    t.equal(agent.exitCode, 2, 'the installed agent loads and refuses a missing REXEC_URL');
    t.match(agent.stdout + agent.stderr, /REXEC_URL/);

    const before = await snapshot(root);
    const second = await script('install-agent.sh', [...args, '--host-name', 'edge-1']);
    t.equal(second.exitCode, 0, second.stderr);
    t.same(await snapshot(root), before, 'a second run changes nothing');
  },
);

void t.test('install-agent.sh installs the packages the agent lists for each engine', async (t) => {
  for (const engine of ['podman', 'docker'] as const) {
    const printed = await script('install-agent.sh', ['--print-packages', engine]);
    t.equal(printed.exitCode, 0, printed.stderr);
    t.same(
      printed.stdout.trim().split(/\s+/).sort(),
      debianPackagesFor(engine).sort(),
      `${engine}: the script's list is packages/agent/src/doctor/host-requirements.ts's`,
    );
  }
  const unknown = await script('install-agent.sh', ['--print-packages', 'lxc']);
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /no package list for engine lxc/);
});
