// The command executor in-process on the real engine (podman here) with the busybox test image:
// commands for one container run in arrival order, remove keeps or takes the home volume as asked,
// a create sent again is answered as a replay, errors carry stable codes, after drain() new
// commands fail with `shutting_down`, and a create is refused while the engine's storage is low.
import { randomBytes } from 'node:crypto';
import type { AgentMessage, ControlCommand } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { STORAGE_PATHS } from '../../packages/agent/src/capacity.js';
import { createCommandExecutor } from '../../packages/agent/src/commands.js';
import { createStorageSpace } from '../../packages/agent/src/disk/storage-space.js';
import { createCliRuntime } from '../../packages/agent/src/runtime/cli-runtime.js';
import { engine } from '../helpers/engine.js';
import type { EngineKind } from '../helpers/engine.js';
import { commandId, containerId, createCommand, engineFor, engineState } from './agent-fixture.js';

type Result = Extract<AgentMessage, { type: 'AGENT_COMMAND_RESULT' }>;

function command(id: string, body: ControlCommand['command']): ControlCommand {
  return { type: 'CONTROL_COMMAND', command_id: commandId(), container_id: id, command: body };
}

async function setup(t: Test) {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  const runtime = createCliRuntime({ kind, hostId, log: pino({ level: 'silent' }) });
  const results: Result[] = [];
  const waiters = new Set<() => void>();
  const executor = createCommandExecutor({
    runtime,
    log: pino({ level: 'silent' }),
    send: (message) => {
      if (message.type !== 'AGENT_COMMAND_RESULT') return;
      results.push(message);
      for (const wake of [...waiters]) wake();
    },
  });
  const resultOf = (commandIdWanted: string) =>
    new Promise<Result>((resolve, reject) => {
      const check = () => {
        const found = results.find((r) => r.command_id === commandIdWanted);
        if (found === undefined) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no result for ${commandIdWanted}`));
      }, 120_000);
      if (!check()) waiters.add(check);
    });
  return { kind, hostId, executor, results, resultOf };
}

async function hostVolumes(kind: EngineKind, hostId: string): Promise<string[]> {
  const filter = `label=io.rexec.host-id=${hostId}`;
  const listed = await engine(kind, ['volume', 'ls', '-q', '--filter', filter]);
  return listed.stdout.split('\n').filter((name) => name !== '');
}

void t.test('commands for one container run in arrival order', async (t) => {
  const { kind, hostId, executor, results, resultOf } = await setup(t);
  const id = containerId();
  const sequence = [
    createCommand(id),
    command(id, { action: 'stop', timeout_seconds: 5 }),
    command(id, { action: 'start' }),
    command(id, { action: 'remove', remove_volume: false }),
  ];
  for (const message of sequence) executor.handle(message);
  await resultOf(sequence[3]?.command_id ?? '');
  t.same(
    results.map((r) => r.command_id),
    sequence.map((m) => m.command_id),
    'results in arrival order',
  );
  t.same(
    results.map((r) => (r.ok ? r.container.state : r.error.code)),
    ['running', 'exited', 'running', 'missing'],
  );
  t.equal(await engineState(kind, `rexec-${id}`), null, 'container removed');
  const kept = await hostVolumes(kind, hostId);
  t.equal(kept.length, 1, 'remove_volume:false keeps the home volume');

  const removeAll = command(id, { action: 'remove', remove_volume: true });
  executor.handle(removeAll);
  const removed = await resultOf(removeAll.command_id);
  t.equal(
    removed.ok && removed.container.state,
    'missing',
    'removing a missing container succeeds',
  );
  // Nothing names the kept volume any more: it stays the operator's, untouched.
  t.same(await hostVolumes(kind, hostId), kept, 'the kept volume is still there');
});

void t.test('remove_volume:true takes the home volume with the container', async (t) => {
  const { kind, hostId, executor, resultOf } = await setup(t);
  const id = containerId();
  const create = createCommand(id);
  executor.handle(create);
  const created = await resultOf(create.command_id);
  t.equal(created.ok && created.container.state, 'running');
  t.equal((await hostVolumes(kind, hostId)).length, 1, 'the container has its home volume');
  const remove = command(id, { action: 'remove', remove_volume: true });
  executor.handle(remove);
  const removed = await resultOf(remove.command_id);
  t.equal(removed.ok && removed.container.state, 'missing');
  t.same(await hostVolumes(kind, hostId), [], 'the volume went with it');
});

void t.test(
  'a create sent again under a new command id answers the same container, marked replayed',
  async (t) => {
    const { kind, executor, resultOf } = await setup(t);
    const id = containerId();
    const first = createCommand(id);
    executor.handle(first);
    const created = await resultOf(first.command_id);
    t.equal(created.ok && created.container.state, 'running');
    t.notOk(created.replayed, 'the first create made the container');
    const engineId = created.ok ? created.container.engine_id : null;
    const real = await engine(kind, ['container', 'inspect', '--format', '{{.Id}}', `rexec-${id}`]);
    t.equal(engineId, real.stdout.trim(), 'the engine id is the engine’s');

    const again = createCommand(id);
    executor.handle(again);
    const replayed = await resultOf(again.command_id);
    t.equal(replayed.ok && replayed.container.engine_id, engineId, 'the same container');
    t.equal(replayed.replayed, true, 'reported as a replay');
  },
);

void t.test('errors carry stable codes', async (t) => {
  const { executor, resultOf } = await setup(t);
  const start = command(containerId(), { action: 'start' });
  executor.handle(start);
  const missing = await resultOf(start.command_id);
  t.equal(missing.ok, false);
  t.equal(!missing.ok && missing.error.code, 'not_found');
  t.equal(!missing.ok && missing.container?.state, 'missing', 'and says nothing is there');

  const badImage = createCommand(containerId());
  if (badImage.command.action === 'create')
    badImage.command.spec.image = 'localhost/rexec-test/absent:1';
  executor.handle(badImage);
  const failed = await resultOf(badImage.command_id);
  t.equal(!failed.ok && failed.error.code, 'image_missing');
  t.match(!failed.ok && failed.error.message, /absent:1 is not present/);
});

void t.test('after drain() new commands fail with shutting_down', async (t) => {
  const { executor, resultOf } = await setup(t);
  await executor.drain();
  const late = command(containerId(), { action: 'start' });
  executor.handle(late);
  const refused = await resultOf(late.command_id);
  t.equal(!refused.ok && refused.error.code, 'shutting_down');
  t.equal(executor.inFlight, 0);
});

void t.test('a create is refused with insufficient_disk while the storage is low', async (t) => {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  const runtime = createCliRuntime({ kind, hostId, log: pino({ level: 'silent' }) });
  // More free space than any disk has: the real statfs of the engine's storage is always short.
  const storage = createStorageSpace({ path: STORAGE_PATHS[kind], minFreeMb: 2 ** 40 });
  const results: Result[] = [];
  const executor = createCommandExecutor({
    runtime,
    log: pino({ level: 'silent' }),
    send: (message) => {
      if (message.type === 'AGENT_COMMAND_RESULT') results.push(message);
    },
    beforeCreate: () => storage.assertRoom(),
  });
  const id = containerId();
  executor.handle(createCommand(id));
  await executor.drain();
  const [result] = results;
  t.equal(result?.ok, false);
  if (result?.ok !== false) return;
  t.equal(result.error.code, 'insufficient_disk');
  t.match(
    result.error.message,
    /MB free, under its minimum of 1099511627776 MB \(REXEC_MIN_FREE_DISK_MB\)/,
  );
  t.equal(await engineState(kind, `rexec-${id}`), null, 'no container was made');
  t.match(await storage.measure(), { low: true }, 'the heartbeat would say low');
});
