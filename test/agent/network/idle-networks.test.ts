// User networks outlive their last container by the idle time on the real engines: a user who
// deletes and creates again finds the same network (also after a remove keeping the volume), it
// goes once idle for that long, and one an earlier agent left unused goes after a restarted
// agent's prepare(). With idle time 0 the network goes with the last container (isolation.test.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { userNetworkName } from '../../../packages/agent/src/runtime/labels.js';
import { engine, makeNetHost, netSpec, networkEngines } from './fixture.js';
import type { NetHost } from './fixture.js';

/** The engine's id of the user's network, or null when it does not exist. */
async function networkId(host: NetHost, userId: string): Promise<string | null> {
  const name = userNetworkName(host.hostId, userId);
  const listed = await engine(host.kind, ['network', 'ls', '--format', '{{.Name}} {{.ID}}']);
  const line = listed.stdout.split('\n').find((entry) => entry.startsWith(`${name} `));
  return line === undefined ? null : (line.split(' ')[1] ?? null);
}

async function waitGone(host: NetHost, userId: string, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if ((await networkId(host, userId)) === null) return true;
    await sleep(200);
  }
  return false;
}

/**
 * The idle clock, injected: timers of exactly `ms` are held instead of scheduled and run only on
 * fire(), so "not yet idle" holds however slow the engine is, with no sleep to guess at.
 */
function holdTimers(t: Test, ms: number): { fire(): number } {
  const held = new Map<object, () => void>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((handler: () => void, delay?: number, ...rest: unknown[]) => {
    if (delay !== ms) return realSet(handler, delay, ...rest);
    const handle = { unref: () => handle, ref: () => handle, hasRef: () => false };
    held.set(handle, handler);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (handle?: unknown) => {
    if (typeof handle === 'object' && handle !== null && held.delete(handle)) return;
    realClear(handle as NodeJS.Timeout | undefined);
  };
  t.teardown(() => {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  });
  return {
    fire() {
      const due = [...held.values()];
      held.clear();
      for (const run of due) run();
      return due.length;
    },
  };
}

for (const kind of await networkEngines(t)) {
  void t.test(`${kind}: an idle user network stays for the idle time, then goes`, async (t) => {
    const IDLE_MS = 2_345;
    const clock = holdTimers(t, IDLE_MS);
    const host = makeNetHost(t, kind, { userNetworkIdleMs: IDLE_MS });
    await host.runtime.prepare();
    const first = netSpec(host);
    await host.runtime.createAndStart(first);
    const created = await networkId(host, 'user-a');
    t.ok(created, 'made before the first container (the agent listed none)');
    await host.runtime.remove(first.containerId);
    t.equal(await networkId(host, 'user-a'), created, 'still there right after the last delete');

    const second = netSpec(host);
    await host.runtime.createAndStart(second);
    t.equal(await networkId(host, 'user-a'), created, 'the next create uses the same network');
    // The timer of the first delete was cancelled by the create: none is left to fire.
    t.equal(clock.fire(), 0, 'the create cancelled the idle timer');
    t.equal(await networkId(host, 'user-a'), created, 'kept while a container uses it');

    // A remove that keeps the home volume (remove_volume: false) treats the network the same.
    await host.runtime.remove(second.containerId, { keepVolume: true });
    t.equal(
      await networkId(host, 'user-a'),
      created,
      'still there after a remove keeping the volume',
    );
    t.equal(clock.fire(), 1, 'one idle timer, for the network');
    t.ok(await waitGone(host, 'user-a', 120_000), 'gone once idle for the idle time');
  });

  void t.test(`${kind}: a restarted agent removes a network left idle before it`, async (t) => {
    const before = makeNetHost(t, kind, { userNetworkIdleMs: 600_000 });
    const spec = netSpec(before);
    await before.runtime.createAndStart(spec);
    await before.runtime.remove(spec.containerId);
    before.runtime.close();
    t.ok(await networkId(before, 'user-a'), 'the first agent left it (long idle time)');

    const after = makeNetHost(t, kind, { hostId: before.hostId, userNetworkIdleMs: 1_000 });
    await after.runtime.prepare();
    t.ok(await waitGone(after, 'user-a', 120_000), "the next agent's idle timer took it");

    // The list it keeps now says the network is missing: the next create makes it first.
    const again = netSpec(after);
    await after.runtime.createAndStart(again);
    t.ok(await networkId(after, 'user-a'), 'made again for the next container');
  });
}
