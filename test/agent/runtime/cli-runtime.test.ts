// The CLI runtime against the real engine (podman here; docker where it runs) and the busybox
// test image: limits and hardening as the engine reports them, data kept across stop/start,
// idempotent create/stop/remove, host isolation, and errors that carry argv, exit code and stderr.
import t from 'tap';
import { CAPABILITY_ALLOW_LIST } from '../../../packages/agent/src/runtime/run-args.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineKind } from '../../helpers/engine.js';
import { homeVolumeOfContainer, volumeExists } from '../../helpers/engine.js';
import {
  BUSYBOX_IMAGE,
  busyboxSpec,
  engine,
  makeRuntime,
  rawInspect,
  testLogger,
  uniqueId,
} from './fixture.js';
import { rejectionOf } from '../../helpers/net.js';
import { retryWhileBusy } from '../../../packages/agent/src/runtime/busy-retry.js';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, RuntimeError);

async function volumesOf(kind: EngineKind, hostId: string): Promise<string[]> {
  const filter = `label=io.rexec.host-id=${hostId}`;
  const listed = await engine(kind, ['volume', 'ls', '-q', '--filter', filter]);
  return listed.stdout.split('\n').filter((name) => name !== '');
}

void t.test(
  'createAndStart runs the container with the requested limits, labels and hardening',
  async (t) => {
    const { runtime, kind, hostId } = await makeRuntime(t);
    const spec = busyboxSpec({
      cpuMillicores: 500,
      memoryMb: 64,
      pidsLimit: 100,
      env: { GREETING: 'hi' },
    });
    const observed = await runtime.createAndStart(spec);
    t.match(observed, {
      containerId: spec.containerId,
      name: `rexec-${spec.containerId}`,
      hostId,
      userId: 'user-1',
      state: 'running',
      exitCode: null,
      oomKilled: false,
      limits: { cpuMillicores: 500, memoryMb: 64, memorySwapMb: 64, pidsLimit: 100 },
    });
    t.ok(observed.startedAt instanceof Date);
    t.equal(observed.replayed, false, 'a new container is no replay');
    const inspected = await runtime.inspect(spec.containerId);
    t.match(
      inspected,
      {
        engineId: observed.engineId,
        name: observed.name,
        hostId,
        userId: 'user-1',
        state: 'running',
        limits: observed.limits,
        labels: observed.labels,
      },
      'what createAndStart reported without inspecting is what the engine says',
    );

    const raw = await rawInspect(kind, observed.engineId);
    t.equal(raw.HostConfig.NanoCpus, 500_000_000, 'NanoCpus from millicores');
    t.equal(raw.HostConfig.Memory, 64 * 1024 * 1024);
    t.equal(raw.HostConfig.MemorySwap, 64 * 1024 * 1024, 'memory-swap equals memory');
    t.equal(raw.HostConfig.PidsLimit, 100);
    const homeVolume = raw.Config.Labels?.['io.rexec.home-volume'] ?? '';
    t.match(homeVolume, /^rexec-home-[0-9a-f]{8}-[0-9a-f]{12}$/, 'a pooled home volume name');
    t.same(raw.Config.Labels, {
      'io.rexec.managed': 'true',
      'io.rexec.container-id': spec.containerId,
      'io.rexec.host-id': hostId,
      'io.rexec.user-id': 'user-1',
      'io.rexec.home-volume': homeVolume,
    });
    t.ok((raw.HostConfig.SecurityOpt ?? []).includes('no-new-privileges'));
    t.equal(raw.HostConfig.Init, true, 'an init process is PID 1');
    t.equal(raw.HostConfig.RestartPolicy.Name, 'no');
    const allowed = CAPABILITY_ALLOW_LIST.map((cap) => `CAP_${cap}`).sort();
    if (kind === 'podman') {
      // podman reports the effective set (and lists the dropped defaults rather than "ALL").
      t.same([...(raw.EffectiveCaps ?? [])].sort(), allowed, 'only the allow-list is effective');
      t.ok((raw.HostConfig.CapDrop ?? []).includes('CAP_NET_RAW'));
    } else {
      t.same(raw.HostConfig.CapDrop, ['ALL']);
      t.same(
        [...(raw.HostConfig.CapAdd ?? [])].map((c) => c.replace(/^(CAP_)?/, 'CAP_')).sort(),
        allowed,
      );
    }
    const mount = raw.Mounts.find((m) => m.Destination === '/root');
    t.equal(mount?.Name, homeVolume, 'the labelled home volume is mounted at /root');
    const env = await engine(kind, [
      'exec',
      observed.engineId,
      'sh',
      '-c',
      'echo "$GREETING $(hostname)"',
    ]);
    t.equal(env.stdout, `hi rexec-${spec.containerId}`);
  },
);

void t.test(
  'a file in the home directory survives stop and start; stopping twice succeeds',
  async (t) => {
    const { runtime, kind } = await makeRuntime(t);
    const spec = busyboxSpec();
    const created = await runtime.createAndStart(spec);
    await engine(kind, ['exec', created.engineId, 'sh', '-c', 'echo kept > /root/note.txt']);

    const stopped = await runtime.stop(spec.containerId, 2);
    t.equal(stopped.state, 'exited');
    t.type(stopped.exitCode, 'number');
    t.ok(stopped.finishedAt instanceof Date);
    const again = await runtime.stop(spec.containerId, 2);
    t.equal(again.state, 'exited', 'stopping a stopped container succeeds and changes nothing');

    const started = await runtime.start(spec.containerId);
    t.equal(started.state, 'running');
    t.equal(started.engineId, created.engineId);
    const note = await engine(kind, ['exec', created.engineId, 'cat', '/root/note.txt']);
    t.equal(note.stdout, 'kept');
    t.equal(
      (await runtime.start(spec.containerId)).state,
      'running',
      'starting a running one is a no-op',
    );
  },
);

void t.test(
  'a replayed createAndStart returns the existing container, started, never a second one',
  async (t) => {
    const { runtime, kind } = await makeRuntime(t);
    const spec = busyboxSpec();
    const first = await runtime.createAndStart(spec);
    const replay = await runtime.createAndStart(spec);
    t.equal(replay.engineId, first.engineId);
    t.equal(replay.replayed, true, 'a replay of a running container says so');

    await runtime.stop(spec.containerId, 1);
    const restarted = await runtime.createAndStart(spec);
    t.equal(restarted.engineId, first.engineId);
    t.equal(restarted.state, 'running', 'a replay starts the stopped container');
    t.equal(restarted.replayed, false, 'starting it again was a change');

    // Two creates racing for the same id (a replay arriving while the first is still running).
    const raced = busyboxSpec();
    const [a, b] = await Promise.all([
      runtime.createAndStart(raced),
      runtime.createAndStart(raced),
    ]);
    t.equal(a.engineId, b.engineId, 'concurrent creates end with one container');
    t.equal(a.state, 'running');
    t.equal(b.state, 'running');

    const ids = await engine(kind, [
      'ps',
      '-aq',
      '--filter',
      `label=io.rexec.container-id=${spec.containerId}`,
    ]);
    t.equal(ids.stdout.split('\n').filter((id) => id !== '').length, 1);
  },
);

void t.test(
  'removing a container keeping its volume keeps the data; a new create gets a fresh home',
  async (t) => {
    const { runtime, kind, hostId } = await makeRuntime(t);
    const spec = busyboxSpec();
    const first = await runtime.createAndStart(spec);
    const kept = await homeVolumeOfContainer(kind, first.engineId);
    await engine(kind, ['exec', first.engineId, 'sh', '-c', 'echo kept > /root/note.txt']);
    await runtime.remove(spec.containerId, { keepVolume: true });
    t.equal(await runtime.inspect(spec.containerId), null);
    t.ok(await volumeExists(kind, kept), 'the home volume stays');

    const second = await runtime.createAndStart(spec);
    t.not(second.engineId, first.engineId, 'a new container');
    t.equal(second.replayed, false);
    const fresh = await homeVolumeOfContainer(kind, second.engineId);
    t.not(fresh, kept, 'on a volume of its own');
    const note = await engine(kind, ['exec', second.engineId, 'ls', '-A', '/root']);
    t.equal(note.stdout, '', 'which starts empty');
    t.same((await volumesOf(kind, hostId)).sort(), [kept, fresh].sort());
    const mountpoint = await engine(kind, [
      'volume',
      'inspect',
      '--format',
      '{{.Mountpoint}}',
      kept,
    ]);
    const data = await readFile(join(mountpoint.stdout.trim(), 'note.txt'), 'utf8');
    t.equal(data, 'kept\n', 'the kept volume still holds the data');
  },
);

void t.test(
  'a name taken by a container that is not Rexec’s is refused and the new volume taken back',
  async (t) => {
    const { runtime, kind, hostId } = await makeRuntime(t);
    const spec = busyboxSpec();
    const strayName = `rexec-${spec.containerId}`;
    t.teardown(() => retryWhileBusy(() => engine(kind, ['rm', '--force', strayName])));
    await engine(kind, ['create', '--name', strayName, BUSYBOX_IMAGE, 'sleep', '60']);

    const refused = await rejection(runtime.createAndStart(spec));
    t.equal(refused.code, 'foreign_container');
    t.same(await volumesOf(kind, hostId), [], 'the volume made for it is gone again');
    const stray = await engine(kind, ['container', 'inspect', strayName]);
    t.ok(stray.stdout.includes(strayName), 'the stray container is untouched');
  },
);

void t.test(
  'remove deletes the container and its home volume; removing a missing one succeeds',
  async (t) => {
    const { runtime, kind } = await makeRuntime(t);
    const spec = busyboxSpec();
    const created = await runtime.createAndStart(spec);
    const homeVolume = await homeVolumeOfContainer(kind, created.engineId);
    await runtime.remove(spec.containerId);

    t.equal(await runtime.inspect(spec.containerId), null);
    const container = await engine(kind, [
      'container',
      'inspect',
      `rexec-${spec.containerId}`,
    ]).catch((error: unknown) => error);
    t.ok(container instanceof Error, 'the engine no longer knows the container');
    t.notOk(await volumeExists(kind, homeVolume), 'the volume is gone');

    await runtime.remove(spec.containerId);
    await runtime.remove(uniqueId('never'));
    t.pass('removing missing containers succeeds');
  },
);

void t.test(
  'list shows only this host’s containers and other hosts’ containers are refused',
  async (t) => {
    const own = await makeRuntime(t);
    const other = await makeRuntime(t);
    const mine = busyboxSpec();
    const theirs = busyboxSpec();
    await own.runtime.createAndStart(mine);
    await other.runtime.createAndStart(theirs);

    const listed = await own.runtime.list();
    t.same(
      listed.map((c) => c.containerId),
      [mine.containerId],
    );
    t.equal(listed[0]?.state, 'running');

    for (const [name, attempt] of [
      ['inspect', () => own.runtime.inspect(theirs.containerId)],
      ['start', () => own.runtime.start(theirs.containerId)],
      ['stop', () => own.runtime.stop(theirs.containerId, 1)],
      ['remove', () => own.runtime.remove(theirs.containerId)],
      ['createAndStart', () => own.runtime.createAndStart({ ...theirs })],
    ] as const) {
      const error = await rejection(attempt());
      t.equal(error.code, 'foreign_container', `${name} is refused`);
    }
    // A same-named container that is not Rexec's at all (no labels) is refused too.
    const stray = uniqueId('stray');
    await engine(own.kind, [
      'create',
      '--name',
      `rexec-${stray}`,
      '--label',
      `io.rexec.host-id=${own.hostId}`,
      BUSYBOX_IMAGE,
    ]);
    t.equal((await rejection(own.runtime.remove(stray))).code, 'foreign_container');
    t.same(
      (await own.runtime.list()).map((c) => c.containerId),
      [mine.containerId],
    );

    const survivor = await other.runtime.inspect(theirs.containerId);
    t.equal(survivor?.state, 'running', 'the other host’s container is untouched');
  },
);

void t.test(
  'errors carry the argv, exit code and stderr of the failed engine command',
  async (t) => {
    const { runtime, kind, hostId } = await makeRuntime(t);
    const missing = await rejection(
      runtime.createAndStart(busyboxSpec({ image: 'localhost/rexec-test/does-not-exist:1' })),
    );
    t.equal(missing.code, 'image_missing');
    t.match(missing.message, /image localhost\/rexec-test\/does-not-exist:1 is not present/);
    t.equal(missing.command[0], kind);
    t.equal(missing.command[1], 'run', '`run --pull never` is what found the image missing');
    t.ok(missing.command.includes('never'));
    t.not(missing.exitCode, 0);
    t.type(missing.exitCode, 'number');
    t.match(missing.stderr, /image not known|no such image/i);
    t.equal(await runtime.imageExists('localhost/rexec-test/does-not-exist:1'), false);
    t.same(await volumesOf(kind, hostId), [], 'the failed create took its new volume back');

    const notFound = await rejection(runtime.start(uniqueId('absent')));
    t.equal(notFound.code, 'not_found');
    t.match(notFound.command, [kind, 'container', 'inspect']);

    // A volume cannot be mounted over a file: `run` creates the container, then runc fails it.
    const badStart = await rejection(runtime.createAndStart(busyboxSpec({ homeDir: '/bin/sh' })));
    t.equal(badStart.code, 'engine_failed');
    t.equal(badStart.command[1], 'run');
    // podman gets runc's exit code and words; docker's daemon refuses the mount itself.
    t.equal(badStart.exitCode, kind === 'podman' ? 126 : 125);
    t.match(badStart.stderr, /not a directory|is not directory/);
    t.same(await runtime.list(), [], 'a container that failed to start is not left behind');
    t.same(await volumesOf(kind, hostId), [], 'nor is the volume made for it');

    const noEngine = createCliRuntime({
      kind,
      binary: '/nonexistent/engine',
      hostId: 'h',
      log: testLogger(),
    });
    const absent = await rejection(noEngine.info());
    t.equal(absent.code, 'engine_failed');
    t.equal(absent.command[0], '/nonexistent/engine');

    t.equal((await rejection(runtime.stop('bad id!', 1))).code, 'invalid_spec');
    t.equal((await rejection(runtime.stop(uniqueId('x'), -1))).code, 'invalid_spec');
  },
);

// The engine's own template answers are the reference; storageOptSize is checked against what the
// engine does with `--storage-opt size=` (null means "cannot tell without trying", so no check).
const VERSION_AND_DRIVER: Record<EngineKind, string> = {
  podman: '{{.Version.Version}} {{.Store.GraphDriverName}}',
  docker: '{{.ServerVersion}} {{.Driver}}',
};

void t.test('info reports the engine kind, version and storage driver', async (t) => {
  const { runtime, kind } = await makeRuntime(t);
  const info = await runtime.info();
  t.equal(info.kind, kind);
  const answer = await engine(kind, ['info', '--format', VERSION_AND_DRIVER[kind]]);
  const [version, driver] = answer.stdout.trim().split(' ');
  t.same([info.version, info.storageDriver], [version, driver], 'what the engine says of itself');
  if (info.storageOptSize !== null) {
    const probe = `rexec-probe-${uniqueId('size')}`;
    t.teardown(() => engine(kind, ['rm', '-f', probe]).catch(() => undefined));
    const sized = await engine(kind, [
      'create',
      '--name',
      probe,
      '--storage-opt',
      'size=64m',
      BUSYBOX_IMAGE,
      'true',
    ]).then(
      () => true,
      () => false,
    );
    t.equal(info.storageOptSize, sized, 'storageOptSize is what the engine does with size=');
  }
  t.equal(await runtime.imageExists(BUSYBOX_IMAGE), true);
});
