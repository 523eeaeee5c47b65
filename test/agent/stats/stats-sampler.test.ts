// The stats sampler on the real engine: a container burning CPU with 20 MB in its /dev/shm is
// sampled with one `stats` call per pass, and the sample agrees with what the engine's own
// `stats --no-stream` prints right after (memory within 10 %, same pids and limit; CPU only
// loosely, it fluctuates on a loaded machine). Containers that are not this host's are left out, a
// removed container drops out, and a failing engine call is logged while the last samples stand.
// Every case holds whether the whole-host call answers or fails: it fails for as long as any
// container on the machine is exiting, or is stuck half-stopped, and other suites run alongside.
import { randomBytes } from 'node:crypto';
import type { ContainerUsage } from '@rexec/protocol';
import t from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/cli-runtime.js';
import { containerName } from '../../../packages/agent/src/runtime/labels.js';
import { createStatsReader, createStatsSampler } from '../../../packages/agent/src/stats/index.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { BUSYBOX_IMAGE, engine, type EngineKind } from '../../helpers/engine.js';
import { containerId, engineFor } from '../agent-fixture.js';
import { until } from '../disk/disk-fixture.js';

const MIB = 1024 * 1024;
const BURN_AND_HOLD_20_MB =
  'dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; dd if=/dev/zero of=/dev/null';

/** What the engine itself prints for the container, read independently of the sampler's parser. */
async function engineFigures(
  kind: EngineKind,
  name: string,
): Promise<{ memoryBytes: number; limitBytes: number; pids: number; cpuPercent: number }> {
  if (kind === 'podman') {
    const out = await engine(kind, ['stats', '--no-stream', '--format', 'json', name]);
    const [entry] = JSON.parse(out.stdout) as {
      mem_usage: string;
      pids: string;
      cpu_percent: string;
    }[];
    const [used = '', limit = ''] = (entry?.mem_usage ?? '').split(' / ');
    return {
      memoryBytes: decimalBytes(used),
      limitBytes: decimalBytes(limit),
      pids: Number(entry?.pids),
      cpuPercent: parseFloat(entry?.cpu_percent ?? ''),
    };
  }
  const out = await engine(kind, [
    'stats',
    '--no-stream',
    '--format',
    '{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}',
    name,
  ]);
  const [memory = '', pids = '', cpu = ''] = out.stdout.trim().split('|');
  const [used = '', limit = ''] = memory.split(' / ');
  return {
    memoryBytes: binaryBytes(used),
    limitBytes: binaryBytes(limit),
    pids: Number(pids),
    cpuPercent: parseFloat(cpu),
  };
}

/** A half-core container that sleeps for an hour. */
function sleeping(containerId: string) {
  return {
    containerId,
    userId: `usr_${'s'.repeat(32)}`,
    image: BUSYBOX_IMAGE,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 50,
    diskMb: 1024,
    command: ['sleep', '3600'],
  };
}

function decimalBytes(text: string): number {
  const units: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 };
  const match = /^([\d.]+)(\w+)$/.exec(text.trim());
  return Number(match?.[1]) * (units[match?.[2] ?? ''] ?? NaN);
}

function binaryBytes(text: string): number {
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: MIB, GiB: 1024 * MIB };
  const match = /^([\d.]+)(\w+)$/.exec(text.trim());
  return Number(match?.[1]) * (units[match?.[2] ?? ''] ?? NaN);
}

void t.test(
  'a busy container is sampled as the engine reports it; others are left out',
  async (t) => {
    const hostId = `hst_${randomBytes(16).toString('hex')}`;
    const kind = await engineFor(t, hostId);
    const log = capturedLog();
    const runtime = createCliRuntime({ kind, hostId, log: log.log });
    const [busy, idle] = [containerId(), containerId()];
    const spec = (id: string, command: string[]) => ({
      containerId: id,
      userId: `usr_${'s'.repeat(32)}`,
      image: BUSYBOX_IMAGE,
      cpuMillicores: 1000,
      memoryMb: 64,
      pidsLimit: 50,
      diskMb: 1024,
      command,
    });
    await runtime.createAndStart(spec(busy, ['sh', '-c', BURN_AND_HOLD_20_MB]));
    await runtime.createAndStart(spec(idle, ['sleep', '3600']));

    // `idle` runs on the engine but is not in this host's list: the sampler must not report it.
    const own = new Set([busy]);
    const sampler = createStatsSampler({
      read: createStatsReader(kind),
      ownContainers: () => own,
      log: log.log,
      intervalMs: 1_000,
    });
    sampler.start();
    t.teardown(() => sampler.stop());

    const sampled = await until('a second sample with 20 MB held', () => {
      const usage = sampler.usage().find((entry) => entry.container_id === busy);
      return (usage?.memory_bytes ?? 0) >= 20 * MIB && usage?.cpu_millicores !== undefined
        ? usage
        : undefined;
    }).catch((error: unknown) => {
      // What the engine said is in the sampler's log: show it with the failure.
      t.comment(JSON.stringify(log.lines.slice(-5)));
      throw error;
    });
    // Two more passes, so the CPU figure is a rate over one interval rather than the first reading.
    await sampler.sampleNow();
    await sampler.sampleNow();
    const usage = sampler.usage().find((entry) => entry.container_id === busy) as ContainerUsage;
    const direct = await engineFigures(kind, containerName(busy));

    t.ok(sampled.memory_bytes !== undefined, 'memory sampled');
    const memory = usage.memory_bytes ?? 0;
    t.ok(
      Math.abs(memory - direct.memoryBytes) <= 0.1 * direct.memoryBytes,
      `memory ${memory} within 10% of the engine's ${direct.memoryBytes}`,
    );
    t.equal(usage.memory_mb, Math.ceil(memory / MIB), 'memory_mb is memory_bytes rounded up');
    t.ok(
      Math.abs((usage.memory_limit_bytes ?? 0) - direct.limitBytes) <= 0.01 * direct.limitBytes,
      `limit ${usage.memory_limit_bytes} is the engine's ${direct.limitBytes}`,
    );
    t.equal(usage.memory_limit_bytes, 64 * MIB, 'the limit is the container memory_mb');
    t.equal(usage.pids, direct.pids, `pids ${usage.pids} as the engine counts them`);
    // `dd` keeps a core busy; on a loaded 2-core machine it still gets a good share of one.
    t.ok((usage.cpu_millicores ?? 0) >= 100, `cpu ${usage.cpu_millicores} millicores: busy`);
    t.ok(direct.cpuPercent >= 10, `the engine agrees it is busy (${direct.cpuPercent}%)`);
    t.equal((usage.cpu_millicores ?? 0) % 10, 0, 'cpu in steps of 10 millicores');
    t.ok(usage.network_rx_bytes !== undefined && usage.network_tx_bytes !== undefined, 'network');
    t.notOk(
      sampler.usage().some((entry) => entry.container_id === idle),
      'a container not in this host list is not reported',
    );

    await runtime.remove(busy);
    await sampler.sampleNow();
    t.same(sampler.usage(), [], 'a removed container drops out at the next pass');
  },
);

void t.test(
  'a failing engine call is logged, keeps the last samples and never throws',
  async (t) => {
    const hostId = `hst_${randomBytes(16).toString('hex')}`;
    const kind = await engineFor(t, hostId);
    const log = capturedLog();
    let broken = false;
    const real = createStatsReader(kind);
    const failing = createStatsReader(kind, 'false');
    const runtime = createCliRuntime({ kind, hostId, log: log.log });
    const id = containerId();
    await runtime.createAndStart(sleeping(id));
    const sampler = createStatsSampler({
      // Names pass through: on a machine where the whole-host call fails (another suite's
      // container exiting at that moment), the sampler reads this one by name.
      read: (names) => (broken ? failing(names) : real(names)),
      ownContainers: () => new Set([id]),
      log: log.log,
      intervalMs: 60_000,
    });
    await sampler.sampleNow();
    const before = sampler.usage();
    t.equal(before.length, 1, 'sampled while the engine answers', { log: log.lines });
    broken = true;
    await sampler.sampleNow();
    t.same(sampler.usage(), before, 'the last samples stand');
    t.ok(
      log.lines.some((line) => line['msg'] === 'could not sample container stats'),
      'the failure is logged',
    );
    broken = false;
    await sampler.sampleNow();
    t.equal(sampler.usage().length, 1, 'the next pass samples again');
    await sampler.stop();
  },
);

void t.test(
  "when the whole-host call fails, this host's containers are read by name, and one the engine " +
    'cannot read costs only its own sample',
  async (t) => {
    const hostId = `hst_${randomBytes(16).toString('hex')}`;
    const kind = await engineFor(t, hostId);
    const log = capturedLog('info');
    const runtime = createCliRuntime({ kind, hostId, log: log.log });
    const [running, gone] = [containerId(), containerId()];
    await runtime.createAndStart(sleeping(running));
    const real = createStatsReader(kind);
    const namedCalls: string[][] = [];
    const sampler = createStatsSampler({
      // The whole-host call fails as podman's does when a container exits or goes at that
      // moment; by name, the real engine answers, and refuses a name it no longer has.
      read: (names) => {
        if (names === undefined) return Promise.reject(new Error('whole-host call failed'));
        namedCalls.push([...names]);
        return real(names);
      },
      // `gone` is still in this host's last listing but the engine has no such container.
      ownContainers: () => new Set([running, gone]),
      log: log.log,
      intervalMs: 60_000,
    });
    await sampler.sampleNow();
    t.same(
      sampler.usage().map((entry) => entry.container_id),
      [running],
      'the running container is sampled',
    );
    t.ok((sampler.usage()[0]?.memory_bytes ?? 0) > 0, 'with its figures');
    t.ok(namedCalls.length >= 3, `read by name in halves (${JSON.stringify(namedCalls)})`);
    const byName = log.lines.find(
      (line) => line['msg'] === 'container stats read by name after the whole-host call failed',
    );
    t.same(byName?.['gone'], [containerName(gone)], 'the one the engine has not is named gone');
    t.match(byName?.['whole_host_error'], /whole-host call failed/, 'with the first failure');
    t.notOk(
      log.lines.some((line) => line['msg'] === 'stats of some containers could not be read'),
      'a container the engine no longer has is not an unreadable one',
    );

    // Removed while still in the listing, with the whole-host call still failing (as on a host
    // where another container is stuck): it drops out, its last sample does not stand.
    await runtime.remove(running);
    await sampler.sampleNow();
    t.same(sampler.usage(), [], 'a removed container drops out though nothing could be read');
    await sampler.stop();
  },
);
