// Per-user networks and the host guard on the real engines: one user's containers reach each
// other by IP, another user's cannot; a container reaches only the host ports the guard allows;
// a user's network comes with their first container and goes with their last; a full pool is a
// clear error.
import t from 'tap';
import { userNetworkName } from '../../../packages/agent/src/runtime/labels.js';
import { RuntimeError } from '../../../packages/agent/src/runtime/errors.js';
import { rejectionOf } from '../../helpers/net.js';
import {
  containerIp,
  engine,
  execIn,
  gatewayOf,
  guardHost,
  makeNetHost,
  netSpec,
  networkEngines,
  startSink,
} from './fixture.js';
import type { NetHost } from './fixture.js';

// Long enough for a dropped SYN to count as unreachable, short enough to keep the suite quick.
const CONNECT_WAIT_SECONDS = 2;

async function reaches(host: NetHost, from: string, address: string, port: number) {
  const result = await execIn(
    host.kind,
    from,
    `echo hello | nc -w ${CONNECT_WAIT_SECONDS} ${address} ${port}`,
  );
  return result.exitCode === 0;
}

async function networkExists(host: NetHost, userId: string): Promise<boolean> {
  const name = userNetworkName(host.hostId, userId);
  const listed = await engine(host.kind, ['network', 'ls', '--format', '{{.Name}}']);
  return listed.stdout.split('\n').includes(name);
}

for (const kind of await networkEngines(t)) {
  void t.test(
    `${kind}: one user's containers reach each other, another user's do not`,
    async (t) => {
      const host = makeNetHost(t, kind);
      // As the agent runs it: the engine's isolation plus the host guard. The engine's alone is
      // not enough here: netavark 1.4 drops its isolation jump whenever any isolated network
      // (of a suite running beside this one, say) loses its last container.
      await guardHost(host, []);
      const a1 = netSpec(host, { userId: 'user-a' });
      const a2 = netSpec(host, { userId: 'user-a' });
      const b1 = netSpec(host, { userId: 'user-b' });
      for (const spec of [a1, a2, b1]) await host.runtime.createAndStart(spec);
      await engine(kind, [
        'exec',
        '-d',
        `rexec-${a2.containerId}`,
        'sh',
        '-c',
        'while :; do nc -l -p 7000 </dev/null >/dev/null; done',
      ]);
      const a2Ip = await containerIp(kind, a2.containerId);
      t.ok(await reaches(host, a1.containerId, a2Ip, 7000), 'user-a → user-a by IP');
      t.notOk(await reaches(host, b1.containerId, a2Ip, 7000), 'user-b cannot reach user-a');
      t.not(
        await gatewayOf(kind, b1.containerId),
        await gatewayOf(kind, a1.containerId),
        'the two users sit on different subnets',
      );
    },
  );

  void t.test(`${kind}: a container reaches only the host ports the guard allows`, async (t) => {
    const host = makeNetHost(t, kind);
    const spec = netSpec(host);
    await host.runtime.createAndStart(spec);
    const gateway = await gatewayOf(kind, spec.containerId);
    const allowed = await startSink(t, gateway);
    const blocked = await startSink(t, gateway);
    t.ok(await reaches(host, spec.containerId, gateway, blocked.port), 'open before the guard');
    await guardHost(host, [allowed.port]);
    await guardHost(host, [allowed.port]);
    t.ok(await reaches(host, spec.containerId, gateway, allowed.port), 'an allowed port is open');
    const before = blocked.accepted();
    t.notOk(await reaches(host, spec.containerId, gateway, blocked.port), 'any other is refused');
    t.equal(blocked.accepted(), before, 'the blocked listener saw no new connection');
  });

  void t.test(
    `${kind}: the user's network comes with the first container, goes with the last`,
    async (t) => {
      const host = makeNetHost(t, kind);
      const first = netSpec(host);
      const second = netSpec(host);
      t.notOk(await networkExists(host, 'user-a'), 'no network before any container');
      await host.runtime.createAndStart(first);
      await host.runtime.createAndStart(second);
      t.ok(await networkExists(host, 'user-a'), 'created on demand');
      const labels = await engine(kind, [
        'network',
        'inspect',
        '--format',
        '{{json .Labels}}',
        userNetworkName(host.hostId, 'user-a'),
      ]);
      t.match(JSON.parse(labels.stdout), {
        'io.rexec.managed': 'true',
        'io.rexec.host-id': host.hostId,
        'io.rexec.user-id': 'user-a',
      });
      await host.runtime.remove(first.containerId);
      t.ok(await networkExists(host, 'user-a'), 'kept while a container still uses it');
      await host.runtime.remove(second.containerId);
      t.notOk(await networkExists(host, 'user-a'), 'removed with the last container');
      await host.runtime.createAndStart(netSpec(host));
      t.ok(await networkExists(host, 'user-a'), 'and created again for the next one');
    },
  );

  void t.test(
    `${kind}: a pool with no free subnet fails the create naming the setting`,
    async (t) => {
      const host = makeNetHost(t, kind, { subnetPrefix: 24 });
      await host.runtime.createAndStart(netSpec(host, { userId: 'user-a' }));
      const error = await rejectionOf(
        host.runtime.createAndStart(netSpec(host, { userId: 'user-b' })),
        RuntimeError,
      );
      t.match(
        error.message,
        /no free \/24 subnet left in the user network pool .*REXEC_USER_NETWORK_POOL/,
      );
    },
  );
}
