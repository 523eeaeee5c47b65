// The home volume pool on the real engine: volumes made ahead are what creates mount (labelled
// for the host, named on the container), the pool refills after a create, a replayed create gives
// its volume back, and a restarted agent sweeps the empty unmounted volumes an earlier one left
// while keeping one that holds files (a home whose removal was cut short) and other hosts'.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { homeVolumeOfContainer } from '../../helpers/engine.js';
import type { EngineKind } from '../../helpers/engine.js';
import { busyboxSpec, engine, makeRuntime } from './fixture.js';

async function hostVolumes(kind: EngineKind, hostId: string): Promise<string[]> {
  const filter = `label=io.rexec.host-id=${hostId}`;
  const listed = await engine(kind, ['volume', 'ls', '-q', '--filter', filter]);
  return listed.stdout
    .split('\n')
    .filter((name) => name !== '')
    .sort();
}

async function unmountedVolumes(kind: EngineKind, hostId: string): Promise<string[]> {
  const dangling = await engine(kind, ['volume', 'ls', '-q', '--filter', 'dangling=true']);
  const names = new Set(dangling.stdout.split('\n'));
  return (await hostVolumes(kind, hostId)).filter((name) => names.has(name));
}

async function waitFor(check: () => Promise<boolean>, limitMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

void t.test('creates mount volumes made ahead, and the pool refills after each', async (t) => {
  const { runtime, kind, hostId } = await makeRuntime(t, { homeVolumePool: 2 });
  await runtime.prepare();
  const ready = await unmountedVolumes(kind, hostId);
  t.equal(ready.length, 2, 'prepare() made two volumes ahead');
  const labels = await engine(kind, [
    'volume',
    'inspect',
    '--format',
    '{{json .Labels}}',
    ready[0] ?? '',
  ]);
  t.match(JSON.parse(labels.stdout), { 'io.rexec.managed': 'true', 'io.rexec.host-id': hostId });

  const created = await runtime.createAndStart(busyboxSpec());
  const home = await homeVolumeOfContainer(kind, created.engineId);
  t.ok(ready.includes(home), 'the container mounts one of them');
  t.ok(
    await waitFor(async () => (await unmountedVolumes(kind, hostId)).length === 2),
    'the pool is full again after the create',
  );
  t.equal((await hostVolumes(kind, hostId)).length, 3);

  // A replay finds the container; the volume it took goes back unused.
  const spec = busyboxSpec();
  await runtime.createAndStart(spec);
  const replay = await runtime.createAndStart(spec);
  t.equal(replay.replayed, true);
  t.ok(
    await waitFor(async () => (await unmountedVolumes(kind, hostId)).length === 2),
    'the pool holds two again',
  );
  t.equal((await hostVolumes(kind, hostId)).length, 4, 'two mounted, two ready: none leaked');
});

void t.test(
  'a restarted agent sweeps empty unmounted volumes and keeps one holding files',
  async (t) => {
    const { runtime: before, kind, hostId } = await makeRuntime(t, { homeVolumePool: 2 });
    const { runtime: neighbour, hostId: neighbourId } = await makeRuntime(t, {
      homeVolumePool: 1,
    });
    await neighbour.prepare();
    const neighbours = await hostVolumes(kind, neighbourId);
    await before.prepare();
    const spec = busyboxSpec();
    const created = await before.createAndStart(spec);
    const kept = await homeVolumeOfContainer(kind, created.engineId);
    await engine(kind, ['exec', created.engineId, 'sh', '-c', 'echo data > /root/file']);
    await before.remove(spec.containerId, { keepVolume: true });
    t.ok(await waitFor(async () => (await unmountedVolumes(kind, hostId)).length === 3));
    const left = await hostVolumes(kind, hostId);

    const warnings: string[] = [];
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) },
    );
    const after = createCliRuntime({ kind, hostId, log, homeVolumePool: 1 });
    await after.prepare();
    const now = await hostVolumes(kind, hostId);
    t.ok(now.includes(kept), 'the volume holding files stays');
    t.equal(now.length, 2, 'the two empty ones went; one new one is ready');
    const fresh = now.find((name) => name !== kept) ?? '';
    t.notOk(left.includes(fresh), 'the ready one is new');
    t.match(warnings.join('\n'), /still holds files/, 'the kept one is reported');
    t.same(await hostVolumes(kind, neighbourId), neighbours, "another host's volumes untouched");
  },
);
