// locate() and the limit labels on the real engine: the pid, the writable layer and the home
// volume as directories on the host (what nsenter and the disk monitor use), pid 0 once stopped,
// null for a missing container, refusal for another host's, and limits read back from list().
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { rejectionOf } from '../../helpers/net.js';
import { busyboxSpec, engine, makeRuntime, testLogger } from './fixture.js';

void t.test('locate gives the pid and the host directories of a container', async (t) => {
  const { runtime, kind } = await makeRuntime(t);
  const spec = busyboxSpec({ diskMb: 64, networkMbps: 20 });
  await runtime.createAndStart(spec);
  await engine(kind, [
    'exec',
    `rexec-${spec.containerId}`,
    'sh',
    '-c',
    'echo kept > /root/f; echo top > /tmp/g',
  ]);
  const placement = await runtime.locate(spec.containerId);
  const pid = Number(
    (await engine(kind, ['inspect', '--format', '{{.State.Pid}}', `rexec-${spec.containerId}`]))
      .stdout,
  );
  t.equal(placement?.pid, pid, 'the init pid the engine reports');
  t.ok(pid > 0);
  t.equal(
    await readFile(join(placement?.homeVolumeDir ?? '', 'f'), 'utf8'),
    'kept\n',
    'home volume dir',
  );
  t.equal(
    await readFile(join(placement?.writableDir ?? '', 'tmp', 'g'), 'utf8'),
    'top\n',
    'upper dir',
  );

  const listed = (await runtime.list()).find((c) => c.containerId === spec.containerId);
  t.match(listed?.labels, { 'io.rexec.disk-mb': '64', 'io.rexec.network-mbps': '20' });

  await runtime.stop(spec.containerId, 0);
  const stopped = await runtime.locate(spec.containerId);
  t.equal(stopped?.pid, 0, 'no pid while stopped');
  t.ok((await stat(stopped?.homeVolumeDir ?? '')).isDirectory(), 'the volume stays');
  t.equal(await runtime.locate('never-created'), null);

  const stranger = createCliRuntime({ kind, hostId: 'some-other-host', log: testLogger() });
  const refused = await rejectionOf(stranger.locate(spec.containerId), RuntimeError);
  t.equal(refused.code, 'foreign_container');
});
