// The agent's runtime directory (REXEC_AGENT_RUNTIME_DIR): made 0700, tightened when it is ours,
// refused when it is a link, a file or another user's; and podman's pid files for shaping land in
// it, never in a fixed /tmp path another local user could prepare.
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { prepareRuntimeDir } from '../../packages/agent/src/runtime-dir.js';
import { createCliRuntime } from '../../packages/agent/src/runtime/cli-runtime.js';
import {
  busyboxSpec,
  removeByHost,
  requireRuntimeEngine,
  testLogger,
  uniqueId,
} from './runtime/fixture.js';

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-rundir-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = async (path: string) => (await lstat(path)).mode & 0o777;

void t.test('a missing directory is made 0700; a loose one of ours is tightened', async (t) => {
  const root = await scratch(t);
  const made = join(root, 'a', 'rexec-agent');
  t.equal(await prepareRuntimeDir(made), made);
  t.equal(await modeOf(made), 0o700);
  const loose = join(root, 'loose');
  await mkdir(loose);
  await chmod(loose, 0o777);
  await prepareRuntimeDir(loose);
  t.equal(await modeOf(loose), 0o700);
});

void t.test('a link, a file or a directory of another user is refused', async (t) => {
  const root = await scratch(t);
  const target = join(root, 'elsewhere');
  await mkdir(target);
  const link = join(root, 'link');
  await symlink(target, link);
  await t.rejects(prepareRuntimeDir(link), { code: 'runtime_dir_unusable', message: /link/ });
  const file = join(root, 'file');
  await writeFile(file, '');
  await t.rejects(prepareRuntimeDir(file), { code: 'runtime_dir_unusable' });
  if (process.getuid?.() === 0) {
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await chmod(foreign, 0o777);
    await chown(foreign, 65_534, 65_534);
    await t.rejects(prepareRuntimeDir(foreign), {
      code: 'runtime_dir_unusable',
      message: /belongs to uid 65534/,
    });
    t.equal(await modeOf(foreign), 0o777, "another user's directory is left as it was");
  } else {
    t.comment('not root: a directory of another uid cannot be made here');
  }
});

void t.test('podman writes the pid file of a shaped container under the runtime dir', async (t) => {
  const kind = await requireRuntimeEngine(t);
  if (kind !== 'podman') {
    t.comment(`${kind} has no --pidfile here; pids come from inspect`);
    return;
  }
  const pidDir = join(await prepareRuntimeDir(join(await scratch(t), 'run')), 'pids');
  const hostId = uniqueId('h16pid');
  t.teardown(() => removeByHost(kind, hostId));
  const shapedPids: number[] = [];
  // Recording the pid stands in for tc here: what is tested is where the pid comes from.
  const runtime = createCliRuntime({
    kind,
    hostId,
    log: testLogger(),
    pidDir,
    shaper: {
      shape: (pid) => {
        shapedPids.push(pid);
        return Promise.resolve();
      },
    },
  });
  const spec = busyboxSpec({ networkMbps: 50 });
  await runtime.createAndStart(spec);
  t.same(await readdir(pidDir), [`${spec.containerId}.pid`]);
  t.equal(shapedPids.length, 1);
  t.ok((shapedPids[0] ?? 0) > 1, 'the pid read from the file is a real one');
  const legacy: string[] = await readdir(join(tmpdir(), 'rexec-agent-pids')).catch(() => []);
  t.notOk(legacy.includes(`${spec.containerId}.pid`), 'nothing under a fixed /tmp path');
  await runtime.remove(spec.containerId);
  t.same(await readdir(pidDir), [], 'the pid file goes with the container');
});
