// User networks outlive their last container by the idle time on the real engines: a user who
// deletes and creates again finds the same network (also after a remove keeping the volume), it
// goes once idle for that long, and one an earlier agent left unused goes after a restarted
// agent's prepare(). With idle time 0 the network goes with the last container (isolation.test.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
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

for (const kind of await networkEngines(t)) {
  void t.test(`${kind}: an idle user network stays for the idle time, then goes`, async (t) => {
    const host = makeNetHost(t, kind, { userNetworkIdleMs: 2_000 });
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
    // The timer of the first delete was cancelled by the create: it must not fire meanwhile.
    await sleep(3_000);
    t.equal(await networkId(host, 'user-a'), created, 'kept while a container uses it');

    // A remove that keeps the home volume (remove_volume: false) treats the network the same.
    await host.runtime.remove(second.containerId, { keepVolume: true });
    t.equal(
      await networkId(host, 'user-a'),
      created,
      'still there after a remove keeping the volume',
    );
    t.ok(await waitGone(host, 'user-a', 20_000), 'gone once idle for the idle time');
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
    t.ok(await waitGone(after, 'user-a', 20_000), "the next agent's idle timer took it");

    // The list it keeps now says the network is missing: the next create makes it first.
    const again = netSpec(after);
    await after.runtime.createAndStart(again);
    t.ok(await networkId(after, 'user-a'), 'made again for the next container');
  });
}
