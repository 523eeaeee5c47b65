// podman's storage left counting a stopped container's root filesystem as mounted after its mount
// point went (a podman process that ended between removing `merged` and writing the count down,
// left-mount.ts). Made here as that process leaves it: `podman mount`, then the mount and its
// directory removed by hand. Every `cp` and `start` of the container then fails with
// `lstat …/merged: no such file or directory`; the runtime's start and the agent's reads repair it
// and succeed. A running container is never touched, nor a failure that says something else.
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { containerName } from '../../../packages/agent/src/runtime/labels.js';
import { leftMountPath } from '../../../packages/agent/src/runtime/left-mount.js';
import type { ContainerRuntime } from '../../../packages/agent/src/runtime/types.js';
import { capturedLog } from '../../helpers/captured-log.js';
import type { EngineKind } from '../../helpers/engine.js';
import { runRead, types } from '../files/read-fixture.js';
import { busyboxSpec, engine, makeRuntime } from './fixture.js';

/** Leaves the stopped container's storage as a podman process killed while unmounting it does. */
async function breakStorage(t: Test, kind: EngineKind, name: string): Promise<string> {
  const merged = (await engine(kind, ['mount', name])).stdout.trim();
  await execa('umount', [merged]);
  await execa('rmdir', [merged]);
  const start = await execa(kind, ['start', name], { reject: false });
  t.not(start.exitCode, 0, 'the engine cannot start it now');
  t.equal(leftMountPath(start.stderr), merged, `for ${merged} is gone`);
  return merged;
}

async function stoppedContainer(t: Test) {
  const { runtime, kind } = await makeRuntime(t);
  const spec = busyboxSpec({ command: ['sh', '-c', 'echo kept > /srv-note; sleep 3600'] });
  await runtime.createAndStart(spec);
  await engine(kind, ['exec', containerName(spec.containerId), 'true']);
  await runtime.stop(spec.containerId, 0);
  return { runtime, kind, id: spec.containerId, name: containerName(spec.containerId) };
}

async function isRunning(runtime: ContainerRuntime, id: string): Promise<boolean> {
  return (await runtime.inspect(id))?.state === 'running';
}

void t.test('a start repairs the left mount count and starts', async (t) => {
  const { runtime, kind, id, name } = await stoppedContainer(t);
  if (kind !== 'podman') {
    t.pass('docker keeps no mount count of its own; nothing to repair');
    return;
  }
  const merged = await breakStorage(t, kind, name);
  const started = await runtime.start(id);
  t.equal(started.state, 'running', 'the runtime started it');
  t.equal((await engine(kind, ['exec', name, 'cat', '/srv-note'])).stdout, 'kept', 'as it was');

  const failure = `Error: lstat ${merged}: no such file or directory`;
  t.equal(await runtime.repairLeftMount(id, failure), false, 'a running one is never unmounted');
  t.ok(await isRunning(runtime, id), 'and keeps running');
  t.equal((await engine(kind, ['exec', name, 'true'])).exitCode, 0, 'with its root filesystem');

  await runtime.stop(id, 0);
  t.equal(
    await runtime.repairLeftMount(id, 'Error: no such file or directory'),
    false,
    'another failure is not repaired',
  );
  // As while a copy reads through the mount: the count is up and the mount point is there.
  t.equal((await engine(kind, ['mount', name])).stdout.trim(), merged);
  t.equal(await runtime.repairLeftMount(id, failure), false, 'nor one whose mount point is there');
  t.ok((await engine(kind, ['mount', '--notruncate'])).stdout.includes(merged), 'still mounted');
  await engine(kind, ['umount', name]);
});

void t.test('a read repairs the left mount count and reads', async (t) => {
  const { runtime, kind, id, name } = await stoppedContainer(t);
  if (kind !== 'podman') {
    t.pass('docker keeps no mount count of its own; nothing to repair');
    return;
  }
  await breakStorage(t, kind, name);
  const { log } = capturedLog('info');
  const read = await runRead(kind, id, { kind: 'read', path: '/srv-note', range: null }, log, {
    repairStorage: (stderr) => runtime.repairLeftMount(id, stderr),
  });
  t.same(types(read), ['AGENT_FILE_READY', 'AGENT_FILE_DONE'], 'the read succeeded');
  t.equal(read.bytes.toString(), 'kept\n', 'with the file');
  t.equal((await runtime.start(id)).state, 'running', 'and the container starts');
});
