// A read whose copy fails with podman's broken-storage message (`lstat …/merged: no such file or
// directory`, runtime/left-mount.ts) asks for a repair and copies again. The engine here is a
// wrapper of the real one whose next N copies fail with exactly that message; the read then copies
// again and succeeds, one that keeps failing ends `file_failed` (never `path_not_found`), and a
// path that really is missing is reported at once, without a retry. The real breakage and its
// repair are left-mount.test.ts's.
import { execa } from 'execa';
import t from 'tap';
import { containerName } from '../../../packages/agent/src/runtime/index.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { BUSYBOX_IMAGE, requireEngine } from '../../helpers/engine.js';
import { containerId } from '../agent-fixture.js';
import { runRead, types, wrappedEngine } from './read-fixture.js';

void t.test('reads repair and copy again after the storage race', async (t) => {
  const kind = await requireEngine(t);
  const engine = await wrappedEngine(t, kind);
  const id = containerId();
  await execa(kind, [
    'run',
    '-d',
    '--name',
    containerName(id),
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    'printf "hello from the box" > /tmp/greeting; sleep 3600',
  ]);
  t.teardown(() => execa(kind, ['rm', '-f', '-t', '0', containerName(id)], { reject: false }));
  const { log, lines } = capturedLog('info');
  const read = { kind: 'read', path: '/tmp/greeting', range: null } as const;
  const repairs: string[] = [];
  const repairStorage = (stderr: string) => {
    repairs.push(stderr);
    return Promise.resolve(true);
  };

  await engine.race(2);
  const first = await runRead(engine.binary, id, read, log, { repairStorage });
  t.same(types(first), ['AGENT_FILE_READY', 'AGENT_FILE_DONE'], 'the read succeeded');
  t.equal(first.bytes.toString(), 'hello from the box', 'with the file’s bytes');
  t.equal(await engine.copies(), 3, 'after two copies met the race');
  t.equal(
    lines.filter(
      (line) => line['msg'] === 'the engine could not mount the container; copying again',
    ).length,
    2,
    'each retry logged',
  );
  t.equal(repairs.length, 2, 'each after asking for a repair');
  t.match(repairs[0], /merged: no such file or directory/, 'with the engine’s words');

  await engine.race(1);
  const tar = await runRead(engine.binary, id, { kind: 'read_tar', path: '/tmp' }, log);
  t.same(types(tar), ['AGENT_FILE_READY', 'AGENT_FILE_DONE'], 'a tar read copies again too');
  t.ok(tar.bytes.includes(Buffer.from('hello from the box')), 'and carries the file');
  t.equal(await engine.copies(), 5);

  await engine.race(100);
  const stuck = await runRead(engine.binary, id, read, log);
  t.match(
    stuck.messages,
    [{ type: 'AGENT_FILE_ERROR', code: 'file_failed', message: /merged: no such file/ }],
    'a race that does not pass is file_failed, not path_not_found',
  );
  t.equal(await engine.copies(), 5 + 6, 'after the first copy and five more');

  await engine.race(0);
  const missing = await runRead(
    engine.binary,
    id,
    { kind: 'read', path: '/tmp/nothing-here', range: null },
    log,
  );
  t.match(missing.messages, [{ type: 'AGENT_FILE_ERROR', code: 'path_not_found' }]);
  t.equal(await engine.copies(), 12, 'a missing path is not copied again');
});
