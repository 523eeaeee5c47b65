// The same platform on Docker instead of Podman: one agent with REXEC_RUNTIME=docker drives a
// busybox container through create, stop, start, an outside kill and delete. The full suites run
// on Podman; this proves the CLI runtime's Docker dialect (argv, inspect and events formats).
import t from 'tap';
import { Container } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startFleet } from './fleet.js';

void t.test('a container lives its lifecycle on a Docker host', async (t) => {
  const fleet = await startFleet(t, { engine: 'docker' });
  t.equal(fleet.kind, 'docker');
  await fleet.joinAgent('e2e-docker');

  const { id } = await fleet.createBox({ cpu_millicores: 500, memory_mb: 128, disk_mb: 512 });
  await fleet.containerStatus(id, 'running');
  const limits = await engine('docker', [
    'inspect',
    '-f',
    '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{index .Config.Labels "io.rexec.container-id"}}',
    `rexec-${id}`,
  ]);
  t.equal(
    limits.stdout.trim(),
    `500000000 ${128 * 1024 * 1024} ${id}`,
    'docker applied limits and labels',
  );

  const stopped = await fleet.api('POST', `/containers/${id}/stop`);
  t.equal(Container.parse(stopped.body).status, 'stopped');
  const started = await fleet.api('POST', `/containers/${id}/start`);
  t.equal(Container.parse(started.body).status, 'running');

  await engine('docker', ['kill', `rexec-${id}`]);
  const killed = await fleet.waitFor(
    'the outside kill reported',
    async () => {
      const got = await fleet.apiAs(Container, 'GET', `/containers/${id}`);
      return got.status === 'running' ? undefined : got;
    },
    15_000,
  );
  t.equal(killed.status, 'stopped');
  t.ok(killed.status_reason, `with a reason: ${killed.status_reason ?? 'none'}`);

  t.equal((await fleet.api('DELETE', `/containers/${id}`)).status, 204);
  const left = await engine('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=io.rexec.container-id=${id}`,
  ]);
  t.equal(left.stdout.trim(), '', 'gone from docker');
});
