// `rexec-agent doctor --fix` and `rexec-agent purge` against a real podman and real iptables, on
// a machine of their own: a private podman storage and network directory, and a network namespace
// of its own (its own iptables), so that nothing of the suites running beside this one looks like
// a leftover to them. One old host (OLD) left a container, a home volume, a network and its
// guard chains with a jump; this host (MINE) has the same. doctor lists the old ones, --fix
// removes exactly those, and purge removes the rest.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import t from 'tap';
import { z } from 'zod';
import { HostHealthCheck } from '@rexec/protocol';
import { hostGuardChains } from '../../../packages/agent/src/network/index.js';
import { writeState } from '../../../packages/agent/src/state.js';
import { REPO_ROOT } from '../../helpers/child-process.js';
import { BUSYBOX_IMAGE, requireEngine } from '../../helpers/engine.js';
import { failingEngine } from '../disk/fault-binaries.js';

const DoctorJson = z.object({ ok: z.boolean(), checks: z.array(HostHealthCheck) });
const AGENT = ['--import', 'tsx', '--conditions=rexec-source', 'packages/agent/src/main.ts'];
const OLD = `hst_${'1'.repeat(32)}`;
const MINE = `hst_${'3'.repeat(32)}`;
const LABEL = 'io.rexec.host-id';

void t.test('doctor --fix removes what other hosts left, purge the rest', async (t) => {
  await requireEngine(t, 'podman');
  const dir = await mkdtemp(join(tmpdir(), 'rexec-leftovers-'));
  // Removed last (teardowns run in reverse): nothing in it is mounted, the containers never ran.
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`,
  );
  // File locks: podman's default shared-memory locks are one set per machine, and a second
  // storage allocating from them could take a lock the machine's podman holds.
  await writeFile(
    join(dir, 'containers.conf'),
    `[engine]\nlock_type = "file"\ntmp_dir = "${dir}/tmp"\nevents_logger = "none"\n` +
      `[network]\nnetwork_config_dir = "${dir}/networks"\n`,
  );
  await execa('podman', ['save', '-o', join(dir, 'busybox.tar'), BUSYBOX_IMAGE]);
  // The namespace lives as long as this sleep; each command below enters it.
  const holder: ResultPromise = execa('unshare', ['--net', 'sleep', '3600'], { reject: false });
  t.teardown(() => {
    holder.kill('SIGKILL');
  });
  const env = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
  };
  const inside = (file: string, args: string[], reject = true, environment = env) =>
    execa('nsenter', ['--target', String(holder.pid), '--net', file, ...args], {
      env: environment,
      cwd: REPO_ROOT,
      reject,
      timeout: 180_000,
    });
  const podman = (...args: string[]) => inside('podman', args);
  const listed = async () => ({
    containers: (await podman('ps', '-a', '--format', '{{.Names}}')).stdout.split('\n').sort(),
    volumes: (await podman('volume', 'ls', '--format', '{{.Name}}')).stdout.split('\n').sort(),
    networks: (await podman('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n').sort(),
    rules: (await inside('iptables', ['-S'])).stdout
      .split('\n')
      .filter((l) => l.includes('REXEC-'))
      .sort(),
  });

  await podman('load', '-q', '-i', join(dir, 'busybox.tar'));
  for (const host of [OLD, MINE]) {
    const label = `${LABEL}=${host}`;
    await podman('volume', 'create', '--label', label, `rexec-home-${host}`);
    await podman('network', 'create', '--label', label, `rexec-net-${host}`);
    await podman('create', '--name', `rexec-${host}`, '--label', label, BUSYBOX_IMAGE, 'true');
    const { input, forward } = hostGuardChains(host);
    await inside('iptables', ['-N', input]);
    await inside('iptables', ['-N', forward]);
    await inside('iptables', ['-A', input, '-j', 'RETURN']);
    await inside('iptables', ['-I', 'INPUT', '-s', '10.250.0.0/16', '-j', input]);
    await inside('iptables', ['-I', 'FORWARD', '-s', '10.250.0.0/16', '-j', forward]);
  }
  const stateDir = join(dir, 'state');
  await writeState(stateDir, { host_id: MINE, host_name: 'leftovers', credential: 'x'.repeat(43) });
  const doctor = (...args: string[]) =>
    inside(
      process.execPath,
      [
        ...AGENT,
        'doctor',
        '--runtime',
        'podman',
        '--image',
        BUSYBOX_IMAGE,
        '--state-dir',
        stateDir,
        ...args,
      ],
      false,
    );

  const looked = await doctor('--json');
  const report = DoctorJson.parse(JSON.parse(looked.stdout));
  const check = report.checks.find((c) => c.check === 'leftovers');
  t.match(check, { ok: false, required: false }, 'leftovers: a warning, not a failure');
  t.match(check?.message, `4 resources of other hosts (this is host ${MINE})`);
  t.match(check?.message, `podman container rexec-${OLD} (host ${OLD})`);
  t.match(check?.message, '`rexec-agent doctor --fix` removes them');
  t.notMatch(check?.message, `(host ${MINE})`, 'nothing of this host is listed');
  t.equal((await listed()).containers.length, 2, 'looking removes nothing');

  const fixed = await doctor('--fix');
  t.match(fixed.stdout, `removed podman container rexec-${OLD} (host ${OLD})`);
  t.match(fixed.stdout, `removed podman volume rexec-home-${OLD} (host ${OLD})`);
  t.match(fixed.stdout, `removed podman network rexec-net-${OLD} (host ${OLD})`);
  t.match(fixed.stdout, `removed iptables guard ${Object.values(hostGuardChains(OLD)).join('/')}`);
  t.match(
    fixed.stdout,
    new RegExp(`^ok +leftovers +nothing left by other hosts \\(this is host ${MINE}\\)$`, 'm'),
  );
  const mine = hostGuardChains(MINE);
  t.same(
    await listed(),
    {
      containers: [`rexec-${MINE}`],
      volumes: [`rexec-home-${MINE}`],
      networks: ['podman', `rexec-net-${MINE}`],
      rules: [
        `-N ${mine.input}`,
        `-N ${mine.forward}`,
        `-A INPUT -s 10.250.0.0/16 -j ${mine.input}`,
        `-A FORWARD -s 10.250.0.0/16 -j ${mine.forward}`,
        `-A ${mine.input} -j RETURN`,
      ].sort(),
    },
    'this host keeps everything of its own; the old host has nothing left',
  );

  const unasked = await inside(process.execPath, [...AGENT, 'purge', '--runtime', 'podman'], false);
  t.equal(unasked.exitCode, 2, 'purge wants --yes');
  t.match(unasked.stdout, /say --yes to do it/);
  t.equal((await listed()).containers.length, 1);

  const purged = await inside(
    process.execPath,
    [...AGENT, 'purge', '--yes', '--runtime', 'podman'],
    false,
  );
  t.equal(purged.exitCode, 0, purged.stdout + purged.stderr);
  t.match(purged.stdout, `removed podman container rexec-${MINE} (host ${MINE})`);
  t.match(purged.stdout, /nothing of Rexec is left on this machine$/);
  t.same(await listed(), { containers: [''], volumes: [''], networks: ['podman'], rules: [] });

  // An engine that fails while they list: a failed check and a line that says so, never a crash.
  const broken = await failingEngine(t, 'podman');
  await broken.fail('volume');
  const brokenEnv = {
    ...env,
    PATH: `${dirname(broken.binary)}${delimiter}${process.env['PATH'] ?? ''}`,
  };
  const [brokenLook, brokenPurge] = [
    await inside(
      process.execPath,
      [...AGENT, 'doctor', '--runtime', 'podman', '--state-dir', stateDir, '--json'],
      false,
      brokenEnv,
    ),
    await inside(
      process.execPath,
      [...AGENT, 'purge', '--yes', '--runtime', 'podman'],
      false,
      brokenEnv,
    ),
  ];
  const brokenCheck = DoctorJson.parse(JSON.parse(brokenLook.stdout)).checks.find(
    (c) => c.check === 'leftovers',
  );
  t.match(brokenCheck, {
    ok: false,
    message: /^podman could not list its resources: .*injected failure of volume/,
  });
  t.equal(brokenPurge.exitCode, 1, 'purge fails when it cannot list');
  t.match(brokenPurge.stdout, /podman could not list its resources: .*injected failure of volume/);
});
