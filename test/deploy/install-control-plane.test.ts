// install-control-plane.sh --root into a temporary root: the env file (0600, every variable, the
// given values), the unit (0644, verified), the 0700 state directory, code that really starts with
// plain node, and a second run that changes nothing and keeps operator edits. No systemctl or
// user is touched.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { mode, runInstalledControlPlane, script, snapshot, tempRoot } from './deploy-fixture.js';

// Copying the dependencies and a first PGlite start take minutes on a busy 2-core machine.
t.setTimeout(900_000);

void t.test(
  'install-control-plane.sh --root installs a working control plane, idempotently',
  async (t) => {
    const root = await tempRoot(t);
    const args = [
      '--root',
      root,
      '--port',
      '9090',
      '--database-url',
      'postgres://rexec:pw@db:5432/rexec',
    ];
    const first = await script('install-control-plane.sh', args);
    t.equal(first.exitCode, 0, first.stderr);
    t.match(first.stdout, /skipping systemctl enable --now rexec-control-plane.service/);

    const env = join(root, 'etc/rexec/control-plane.env');
    t.equal(await mode(env), '0600', 'env file is 0600');
    const envText = await readFile(env, 'utf8');
    t.match(envText, /^REXEC_PORT=9090$/m);
    t.match(envText, /^REXEC_DATABASE_URL=postgres:\/\/rexec:pw@db:5432\/rexec$/m);
    t.match(envText, /^REXEC_BOOTSTRAP_ADMIN_TOKEN=$/m, 'every variable is present');
    const unit = join(root, 'etc/systemd/system/rexec-control-plane.service');
    t.equal(await mode(unit), '0644');
    t.match(
      await readFile(unit, 'utf8'),
      /^ExecStart=\/\S+\/node \/opt\/rexec\/control-plane\/packages\/control-plane\/dist\/main\.js$/m,
    );
    const verify = await execa('systemd-analyze', ['verify', unit], { reject: false });
    t.equal(verify.exitCode, 0, `the installed unit verifies: ${verify.stderr}`);
    t.equal(await mode(join(root, 'var/lib/rexec')), '0700', 'state directory is 0700');

    // The installed copy runs on its own: its dependencies came along.
    const dataDir = join(root, 'var/lib/rexec');
    const entry = join(root, 'opt/rexec/control-plane/packages/control-plane/dist/main.js');
    t.equal(
      await runInstalledControlPlane(entry, dataDir),
      0,
      'the installed control plane starts and stops cleanly',
    );
    // What that run wrote is not the installer's; take it away so the rerun compares like with like.
    for (const entry of await readdir(dataDir)) await rm(join(dataDir, entry), { recursive: true });

    const edited = envText.replace(/^REXEC_LOG_LEVEL=.*$/m, 'REXEC_LOG_LEVEL=debug');
    await writeFile(env, edited);
    const before = await snapshot(root);
    const second = await script('install-control-plane.sh', args);
    t.equal(second.exitCode, 0, second.stderr);
    t.match(second.stdout, /keeping \/etc\/rexec\/control-plane\.env/);
    t.same(await snapshot(root), before, 'a second run changes nothing');
    t.match(await readFile(env, 'utf8'), /^REXEC_LOG_LEVEL=debug$/m, 'operator edits are kept');
  },
);
