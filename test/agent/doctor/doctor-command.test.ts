// `rexec-agent doctor` as an operator runs it, against this machine's real engines: every check
// passes for podman and for docker (a real container run included); with podman's catatonit
// hidden from it by a mount namespace it exits 1 naming the binary and the package that fixes it;
// bad flags exit 2.
import { execa } from 'execa';
import t from 'tap';
import { z } from 'zod';
import { HostHealthCheck } from '@rexec/protocol';
import { REPO_ROOT } from '../../helpers/child-process.js';
import { requireEngine } from '../../helpers/engine.js';
import { PODMAN_HELPER_DIR, hidingDirectory } from '../../helpers/hidden-directory.js';

const DoctorJson = z.object({ ok: z.boolean(), checks: z.array(HostHealthCheck) });
const AGENT = [
  process.execPath,
  '--import',
  'tsx',
  '--conditions=rexec-source',
  'packages/agent/src/main.ts',
];

function doctor(args: string[], wrap: readonly string[] = []) {
  const [file, ...rest] = [...wrap, ...AGENT, 'doctor', ...args] as [string, ...string[]];
  return execa(file, rest, { cwd: REPO_ROOT, reject: false, timeout: 180_000 });
}

for (const engine of ['podman', 'docker'] as const) {
  void t.test(`doctor passes every check on this machine with ${engine}`, async (t) => {
    await requireEngine(t, engine);
    const run = await doctor(['--runtime', engine, '--json']);
    t.equal(run.exitCode, 0, run.stdout + run.stderr);
    const report = DoctorJson.parse(JSON.parse(run.stdout));
    t.ok(report.ok);
    // This machine's dockerd runs without userns-remap (.ci/run leaves docker's storage as it is):
    // the check must say so and name the fix; every other check, optional ones included, passes.
    const dockerWithoutRemap = (c: { check: string; ok: boolean; message: string }): boolean =>
      engine === 'docker' && c.check === 'user_namespaces' && /userns-remap/.test(c.message);
    // What other hosts left depends on the suites running beside this one (leftovers.test.ts
    // tests that check on a machine of its own).
    const failed = report.checks.filter(
      (c) => !c.ok && !dockerWithoutRemap(c) && c.check !== 'leftovers',
    );
    t.same(failed, [], 'no check fails, optional ones included');
    if (engine === 'podman') {
      t.match(
        report.checks.find((c) => c.check === 'user_namespaces'),
        { ok: true },
      );
    }
    t.match(
      report.checks.find((c) => c.check === 'container_run'),
      {
        ok: true,
        message: /ran .* with --init/,
      },
    );
  });
}

void t.test('doctor fails naming catatonit when podman cannot find it', async (t) => {
  await requireEngine(t, 'podman');
  const run = await doctor(['--runtime', 'podman'], hidingDirectory(PODMAN_HELPER_DIR));
  t.equal(run.exitCode, 1, 'exit 1: this host cannot run Rexec containers');
  t.match(run.stdout, /^FAIL +binary_catatonit .*install the Debian package catatonit$/m);
  t.match(
    run.stdout,
    /^FAIL +container_run +podman cannot run a container as Rexec does: .*container-init binary not found.*install the Debian package catatonit$/m,
    'the real run fails too, with the engine message and the fix',
  );
  t.match(run.stdout, /^ok +binary_runc /m, 'what is there still passes');
  t.match(run.stdout, /2 required check\(s\) failed/);
});

void t.test('doctor refuses unknown flags and runtimes with exit 2', async (t) => {
  const unknown = await doctor(['--bogus']);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.stdout, /Unknown option '--bogus'/);
  const runtime = await doctor(['--runtime', 'lxc']);
  t.equal(runtime.exitCode, 2);
  t.match(runtime.stdout, /must be one of auto, docker, podman, got "lxc"/);
});
