// A read never signals its `cp`: podman exits at once on SIGTERM, and one caught while unmounting a
// stopped container leaves its storage broken for every later copy and start (left-mount.ts). A
// whole read drains the copy, which finishes by itself; a read that ends early (a range, a cancel)
// closes the copy's pipe. The engine is the real one behind a wrapper that writes down the signals
// each copy got and how it ended; the container is stopped, so every copy mounts its storage.
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import { containerName } from '../../../packages/agent/src/runtime/index.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { BUSYBOX_IMAGE, requireEngine, type EngineKind } from '../../helpers/engine.js';
import { containerId } from '../agent-fixture.js';
import { runRead, types, wrappedEngine, type WrappedEngine } from './read-fixture.js';

const SMALL = 256 * 1024;
const BIG = 4 * 1024 * 1024;

/** A stopped container holding /srv/small and /srv/big; removed at teardown. */
async function stoppedBox(t: Test, kind: EngineKind): Promise<string> {
  const id = containerId();
  t.teardown(() => execa(kind, ['rm', '-f', '-t', '0', containerName(id)], { reject: false }));
  await execa(kind, [
    'run',
    '--name',
    containerName(id),
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    `mkdir /srv && head -c ${SMALL} /dev/zero > /srv/small && head -c ${BIG} /dev/zero > /srv/big`,
  ]);
  return id;
}

/** Waits until `count` copies have ended (the read is answered before its copy ends). */
async function copiesEnded(engine: WrappedEngine, count: number): Promise<number[]> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    const exits = await engine.exits();
    if (exits.length >= count) return exits;
    await sleep(50);
  }
  return engine.exits();
}

void t.test('a read lets go of its copy without a signal', async (t) => {
  const kind = await requireEngine(t);
  const engine = await wrappedEngine(t, kind);
  const id = await stoppedBox(t, kind);
  const { log } = capturedLog('info');

  const whole = await runRead(
    engine.binary,
    id,
    { kind: 'read', path: '/srv/small', range: null },
    log,
  );
  t.same(types(whole), ['AGENT_FILE_READY', 'AGENT_FILE_DONE']);
  t.equal(whole.bytes.length, SMALL, 'the whole file');
  t.same(await copiesEnded(engine, 1), [0], 'the copy finished by itself');

  const ranged = await runRead(
    engine.binary,
    id,
    { kind: 'read', path: '/srv/big', range: { start: 0, end: 9 } },
    log,
  );
  t.same(types(ranged), ['AGENT_FILE_READY', 'AGENT_FILE_DONE']);
  t.equal(ranged.bytes.length, 10, 'ten bytes of a 4 MiB file');
  t.equal((await copiesEnded(engine, 2)).length, 2, 'its copy ended once its pipe closed');

  const cancelled = await runRead(engine.binary, id, { kind: 'read_tar', path: '/srv' }, log, {
    onFirstBytes: (task) => task.cancel(),
  });
  t.match(cancelled.messages.at(-1), { type: 'AGENT_FILE_ERROR', code: 'cancelled' });
  t.equal((await copiesEnded(engine, 3)).length, 3, 'a cancelled copy ended too');

  t.same(await engine.signals(), [], 'no copy was signalled');
  const again = await runRead(
    engine.binary,
    id,
    { kind: 'read', path: '/srv/big', range: null },
    log,
  );
  t.equal(again.bytes.length, BIG, 'the storage still mounts for a copy');
  await execa(kind, ['start', containerName(id)]);
  t.pass('and for a start');
});
