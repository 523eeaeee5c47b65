// network_mbps on the real engines: a container's traffic to a listener on the host and from the
// host to it runs at the limit within tolerance, a higher limit is much faster, and the limit is
// back after stop/start through the agent and after a start behind the agent's back.
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import {
  containerIp,
  engine,
  execIn,
  gatewayOf,
  makeNetHost,
  netSpec,
  networkEngines,
  sendFromHost,
  startSink,
} from './fixture.js';
import type { NetHost, Transfer } from './fixture.js';

const MB = 1024 * 1024;
const TRANSFER_BYTES = 4 * MB;
// Payload rate against the tbf rate: headers take ~3% (52 of every 1500 bytes on the wire) and
// the 64 KiB burst at most ~2% of a 4 MB transfer; 15% below covers ingress drops and a busy
// two-core machine, 10% above anything the bucket could let through early.
const LOW = 0.85;
const HIGH = 1.1;

function withinLimit(t: Test, measured: Transfer, limitMbps: number, what: string): void {
  t.ok(
    measured.mbps >= limitMbps * LOW && measured.mbps <= limitMbps * HIGH,
    `${what}: ${measured.mbps.toFixed(2)} Mbit/s for a ${limitMbps} Mbit/s limit ` +
      `(${measured.bytes} bytes in ${measured.seconds.toFixed(2)} s)`,
  );
}

/** The container sends TRANSFER_BYTES to a sink on its network's gateway (the host). */
async function sendToHost(t: Test, host: NetHost, containerId: string) {
  const gateway = await gatewayOf(host.kind, containerId);
  const sink = await startSink(t, gateway);
  const sent = await execIn(
    host.kind,
    containerId,
    `dd if=/dev/zero bs=65536 count=${TRANSFER_BYTES / 65536} 2>/dev/null | nc ${gateway} ${sink.port}`,
  );
  t.equal(sent.exitCode, 0, `the container's nc succeeded ${sent.output}`);
  return sink.received;
}

async function qdiscs(t: Test, host: NetHost, containerId: string): Promise<string> {
  const placement = await host.runtime.locate(containerId);
  if (placement === null) throw new Error(`${containerId} is gone`);
  const shown = await execa('nsenter', ['-t', String(placement.pid), '-n', 'tc', 'qdisc', 'show']);
  t.comment(`${host.kind} qdiscs: ${shown.stdout.replace(/\n/g, ' | ')}`);
  return shown.stdout;
}

for (const kind of await networkEngines(t)) {
  void t.test(
    `${kind}: a container limited to 8 Mbit/s sends at about 8, one at 100 much faster`,
    async (t) => {
      const host = makeNetHost(t, kind);
      const slow = netSpec(host, { networkMbps: 8 });
      const fast = netSpec(host, { networkMbps: 100 });
      await host.runtime.createAndStart(slow);
      await host.runtime.createAndStart(fast);
      withinLimit(t, await sendToHost(t, host, slow.containerId), 8, 'container → host');
      const quick = await sendToHost(t, host, fast.containerId);
      t.ok(quick.mbps > 8 * 4, `at 100 Mbit/s it runs at ${quick.mbps.toFixed(1)} Mbit/s`);
      t.ok(quick.mbps <= 100 * HIGH, 'and not above its own limit');
    },
  );

  void t.test(`${kind}: traffic from the host to the container is shaped too`, async (t) => {
    const host = makeNetHost(t, kind);
    const spec = netSpec(host, { networkMbps: 8 });
    await host.runtime.createAndStart(spec);
    const ip = await containerIp(kind, spec.containerId);
    await engine(kind, [
      'exec',
      '-d',
      `rexec-${spec.containerId}`,
      'sh',
      '-c',
      // busybox nc ends the connection when its stdin ends; a long sleep keeps stdin open.
      'sleep 60 | nc -l -p 5001 >/dev/null',
    ]);
    // The detached nc listens when the container's own netstat says so, however slow the start.
    await engine(kind, [
      'exec',
      `rexec-${spec.containerId}`,
      'sh',
      '-c',
      'for i in $(seq 1 1200); do netstat -ltn | grep -q ":5001 " && exit 0; sleep 0.1; done; exit 1',
    ]);
    withinLimit(t, await sendFromHost(ip, 5001, TRANSFER_BYTES), 8, 'host → container');
  });

  void t.test(
    `${kind}: the limit is back after stop/start and after a start outside the agent`,
    async (t) => {
      const host = makeNetHost(t, kind);
      const spec = netSpec(host, { networkMbps: 8 });
      await host.runtime.createAndStart(spec);
      await host.runtime.stop(spec.containerId, 0);
      await host.runtime.start(spec.containerId);
      t.match(await qdiscs(t, host, spec.containerId), /tbf .*rate 8Mbit/, 'tbf after our start');
      withinLimit(t, await sendToHost(t, host, spec.containerId), 8, 'after stop/start');

      // Someone starts it with the engine's CLI while the agent watches events.
      const events = host.runtime.watchEvents();
      t.teardown(() => events.stop());
      const seen = (async () => {
        for await (const event of events) if (event.kind === 'start') return event;
        return null;
      })();
      await engine(kind, ['stop', '-t', '0', `rexec-${spec.containerId}`]);
      await engine(kind, ['start', `rexec-${spec.containerId}`]);
      t.equal((await seen)?.containerId, spec.containerId, 'the engine reported the start');
      // Shaping follows the event; wait for it with a generous ceiling rather than a count of polls.
      let shown = '';
      const deadline = Date.now() + 120_000;
      while (!/rate 8Mbit/.test(shown) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        shown = await qdiscs(t, host, spec.containerId);
      }
      t.match(shown, /tbf .*rate 8Mbit/, 'shaped again after an outside start');
      t.match(shown, /rexec-ifb/, 'ingress shaped again too');
    },
  );
}
