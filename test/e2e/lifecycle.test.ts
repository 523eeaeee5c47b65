// The whole path, with nothing stood in for: REST API → control plane process → hub → agent process
// → podman → a busybox container, and back. Checks that what the API says is what the engine has.
import t from 'tap';
import { Container, Host } from '@rexec/protocol';
import { engine, homeVolumeOfContainer, volumeExists } from '../helpers/engine.js';
import { startFleet } from './fleet.js';

/** The parts of `inspect` this suite reads (podman and docker agree on them). */
interface EngineInspect {
  HostConfig: { NanoCpus: number; Memory: number; MemorySwap: number; PidsLimit: number };
  Config: { Labels: Record<string, string> };
}

void t.test(
  'a container lives its whole lifecycle through the REST API on a real agent',
  async (t) => {
    const fleet = await startFleet(t);
    const { hostId } = await fleet.joinAgent('e2e-host-1', {
      REXEC_CAPACITY_CPU_MILLICORES: '4000',
      REXEC_CAPACITY_MEMORY_MB: '4096',
      REXEC_CAPACITY_DISK_MB: '40960',
    });

    const created = await fleet.createBox(
      { cpu_millicores: 500, memory_mb: 128, disk_mb: 1024 },
      'e2e-box',
    );
    t.equal(created.status, 'creating');
    const id = created.id;

    const running = await fleet.containerStatus(id, 'running');
    t.equal(running.host_id, hostId, 'placed on the only host');
    t.ok(running.started_at, 'started_at is set');

    const [inspect] = JSON.parse((await engine(fleet.kind, ['inspect', `rexec-${id}`])).stdout) as [
      EngineInspect,
    ];
    t.equal(inspect.HostConfig.NanoCpus, 500_000_000, 'CPU limit from millicores');
    t.equal(inspect.HostConfig.Memory, 128 * 1024 * 1024, 'memory limit');
    t.equal(inspect.HostConfig.MemorySwap, 128 * 1024 * 1024, 'memory-swap equals memory');
    t.ok(inspect.HostConfig.PidsLimit > 0, 'pids limit set');
    t.match(inspect.Config.Labels, {
      'io.rexec.managed': 'true',
      'io.rexec.container-id': id,
      'io.rexec.host-id': hostId,
    });

    const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(host.reserved.cpu_millicores, 500, 'the reservation is taken on the host');

    await engine(fleet.kind, ['exec', `rexec-${id}`, 'sh', '-c', 'echo kept > /root/marker']);

    const stopped = await fleet.api('POST', `/containers/${id}/stop`);
    t.equal(stopped.status, 200, 'stop answers 200', { body: stopped.body });
    t.equal(Container.parse(stopped.body).status, 'stopped');
    const state = await engine(fleet.kind, ['inspect', '-f', '{{.State.Running}}', `rexec-${id}`]);
    t.equal(state.stdout.trim(), 'false', 'the engine agrees it is stopped');

    const restarted = await fleet.api('POST', `/containers/${id}/start`);
    t.equal(restarted.status, 200, 'start answers 200', { body: restarted.body });
    t.equal(Container.parse(restarted.body).status, 'running');
    const marker = await engine(fleet.kind, ['exec', `rexec-${id}`, 'cat', '/root/marker']);
    t.equal(marker.stdout.trim(), 'kept', 'the home directory survives stop/start');

    const homeVolume = await homeVolumeOfContainer(fleet.kind, `rexec-${id}`);
    const removed = await fleet.api('DELETE', `/containers/${id}`);
    t.equal(removed.status, 204, 'delete answers 204', { body: removed.body });
    const left = await engine(fleet.kind, [
      'ps',
      '-aq',
      '--filter',
      `label=io.rexec.container-id=${id}`,
    ]);
    t.equal(left.stdout.trim(), '', 'the container is gone from the engine');
    t.notOk(await volumeExists(fleet.kind, homeVolume), 'its home volume is gone');
    const after = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(after.reserved.cpu_millicores, 0, 'the reservation is released');
    t.equal((await fleet.api('GET', `/containers/${id}`)).status, 404);
  },
);

void t.test('a container killed from outside the platform is reported with a reason', async (t) => {
  const fleet = await startFleet(t);
  await fleet.joinAgent('e2e-host-2');
  const { id } = await fleet.createBox({ cpu_millicores: 250, memory_mb: 64, disk_mb: 512 });
  await fleet.containerStatus(id, 'running');

  await engine(fleet.kind, ['kill', `rexec-${id}`]);
  const seen = await fleet.waitFor(
    'a status change after the outside kill',
    async () => {
      const got = await fleet.apiAs(Container, 'GET', `/containers/${id}`);
      return got.status === 'running' ? undefined : got;
    },
    15_000,
  );
  t.ok(['stopped', 'error'].includes(seen.status), `status ${seen.status}`);
  t.ok(seen.status_reason, `with a reason: ${seen.status_reason ?? 'none'}`);
});
