// Images and roles on the real fleet (control plane, agent, podman, deb.debian.org): python and
// node set up inside the local Debian image before the container is `running`, barebone with no
// setup step, a setup that cannot reach its archive ending in role_setup_failed with its log
// through the API, and a custom image that cannot be pulled ending in image_pull_failed.
import t from 'tap';
import { Container, ContainerList, ContainerLogs } from '@rexec/protocol';
import { DEBIAN_IMAGE, engine } from '../helpers/engine.js';
import { startFleet } from './fleet.js';
import type { Fleet } from './fleet.js';
import { retryWhileBusy } from '../../packages/agent/src/runtime/busy-retry.js';

// apt installs take minutes here (node alone pulls ~300 packages), twice over.
t.setTimeout(1_500_000);
const SETTLE_TIMEOUT_MS = 660_000;
const BROKEN_IMAGE = 'localhost/rexec-test/debian-broken-sources:latest';
const RESOURCES = { cpu_millicores: 1000, memory_mb: 1024, disk_mb: 4096 };

function createBody(image: string, role: string, customImage?: string): Record<string, unknown> {
  return {
    image,
    role,
    resources: RESOURCES,
    ...(customImage === undefined ? {} : { custom_image: customImage }),
  };
}

/**
 * Waits until the container leaves `creating` and returns it as it then is. Polls the list (its
 * rate budget is twice the per-container one) every 1.5 s, so parallel waits stay within budget.
 */
async function settled(fleet: Fleet, id: string): Promise<Container> {
  return fleet.waitFor(
    `container ${id} to leave creating`,
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const { containers } = await fleet.apiAs(ContainerList, 'GET', '/containers');
      const got = containers.find((container) => container.id === id);
      if (got === undefined) throw new Error(`container ${id} is not listed`);
      return got.status === 'creating' ? undefined : got;
    },
    SETTLE_TIMEOUT_MS,
  );
}

async function logsOf(fleet: Fleet, id: string): Promise<ContainerLogs> {
  return fleet.apiAs(ContainerLogs, 'GET', `/containers/${id}/logs`);
}

async function createSettled(fleet: Fleet, body: Record<string, unknown>): Promise<Container> {
  const created = await fleet.apiAs(Container, 'POST', '/containers', body);
  return settled(fleet, created.id);
}

/** A copy of the Debian image whose only package source does not resolve. */
async function buildBrokenSourcesImage(fleet: Fleet): Promise<void> {
  const name = `rexec-roles-broken-${process.pid}`;
  const sources = 'deb http://archive.rexec.invalid/debian bookworm main';
  await engine(fleet.kind, [
    'run',
    '--pull',
    'never',
    '--name',
    name,
    DEBIAN_IMAGE,
    'sh',
    '-c',
    `rm -f /etc/apt/sources.list.d/*; echo '${sources}' > /etc/apt/sources.list`,
  ]);
  try {
    await engine(fleet.kind, ['commit', name, BROKEN_IMAGE]);
  } finally {
    await retryWhileBusy(() => engine(fleet.kind, ['rm', '--force', name]));
  }
}

void t.test('roles are set up before a container is running, and failures say why', async (t) => {
  const fleet = await startFleet(t);
  await fleet.joinAgent('roles-host', {
    REXEC_CAPACITY_CPU_MILLICORES: '8000',
    REXEC_CAPACITY_MEMORY_MB: '8192',
    REXEC_CAPACITY_DISK_MB: '65536',
  });
  await buildBrokenSourcesImage(fleet);
  // podman 4.3 can fail the force removal of the failed setup's container with EBUSY for a moment
  // (busy-retry.ts); a teardown that throws left this file's processes running until tap's timeout.
  t.teardown(() =>
    retryWhileBusy(() => engine(fleet.kind, ['image', 'rm', '--force', BROKEN_IMAGE])),
  );

  await t.test('barebone is running without any setup step', async (t) => {
    const box = await createSettled(fleet, createBody('debian:bookworm', 'barebone'));
    t.equal(box.status, 'running');
    t.same(await logsOf(fleet, box.id), { setup_log: '', truncated: false });
  });

  await t.test(
    'a custom image that is absent and cannot be pulled is image_pull_failed',
    async (t) => {
      const reference = 'registry.rexec.invalid/rexec/absent:1';
      const box = await createSettled(fleet, createBody('custom', 'barebone', reference));
      t.equal(box.status, 'error');
      t.equal(box.status_reason, 'image_pull_failed');
      const logs = await logsOf(fleet, box.id);
      t.match(logs.status_detail, /registry\.rexec\.invalid/, "the engine's message is kept");
    },
  );

  await t.test(
    'a setup that cannot reach its archive is role_setup_failed with its log',
    async (t) => {
      const box = await createSettled(fleet, createBody('custom', 'python', BROKEN_IMAGE));
      t.equal(box.status, 'error');
      t.equal(box.status_reason, 'role_setup_failed');
      const logs = await logsOf(fleet, box.id);
      t.match(logs.setup_log, /archive\.rexec\.invalid/, 'apt says which source failed');
      const lastLine = logs.setup_log.trim().split('\n').at(-1) ?? '';
      t.match(lastLine, /^rexec-role-setup: FAILED: role python \(apt\) failed while refreshing/);
    },
  );

  await t.test(
    'debian:bookworm with python, and with node, is running with its tools',
    async (t) => {
      // Both installs at once: they wait on the archive more than on the CPU.
      const [python, node] = await Promise.all([
        createSettled(fleet, createBody('debian:bookworm', 'python')),
        createSettled(fleet, createBody('debian:bookworm', 'node')),
      ]);
      const checks = [
        {
          box: python,
          role: 'python',
          argv: ['python3', '--version'],
          want: /^Python 3\.\d+\.\d+$/,
        },
        { box: node, role: 'node', argv: ['node', '--version'], want: /^v\d+\.\d+\.\d+$/ },
      ];
      for (const { box, role, argv, want } of checks) {
        t.equal(box.status, 'running', `${role}: running (reason ${box.status_reason ?? 'none'})`);
        const logs = await logsOf(fleet, box.id);
        t.match(logs.setup_log, new RegExp(`role ${role} is ready\\n$`), `${role}: log kept`);
        const version = await engine(fleet.kind, ['exec', `rexec-${box.id}`, ...argv]);
        t.match(version.stdout.trim(), want, `${role}: ${argv.join(' ')} works`);
      }
    },
  );
});
