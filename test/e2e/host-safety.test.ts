// Issue 16 through the API with real agents: a podman host with subordinate ids runs every
// container in a user namespace and says so on the host object (root inside is an unprivileged
// uid outside, and the home's files belong to that uid on the host); a host whose engine storage
// is under its REXEC_MIN_FREE_DISK_MB reports it in heartbeats, shows it on the host and gets no
// new containers.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Container, ExecResult, Host } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { withSubordinateIds } from '../helpers/subordinate-ids.js';
import { boxRequest, startFleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 256 };

void t.test('a host with subordinate ids runs containers in user namespaces', async (t) => {
  const fleet = await startFleet(t, { engine: 'podman' });
  const { hostId } = await fleet.joinAgent('e2e-userns', {}, await withSubordinateIds(t));
  const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
  t.equal(host.user_namespaces, true, 'the host says so');
  t.match(host.enforcement, { user_namespaces: true, user_namespaces_detail: /--userns=auto/ });
  t.match(
    host.health?.find((c) => c.check === 'user_namespaces'),
    { ok: true, required: false },
  );
  const listed = (await fleet.hosts()).find((h) => h.id === hostId);
  t.equal(listed?.user_namespaces, true, 'and GET /hosts too');

  const created = await fleet.apiAs(Container, 'POST', '/containers', boxRequest(BOX));
  await fleet.containerStatus(created.id, 'running');
  const exec = (command: string) =>
    fleet.apiAs(ExecResult, 'POST', `/containers/${created.id}/exec`, { command });
  const mapped = await exec('cat /proc/self/uid_map');
  const [inside, outside, count] = mapped.stdout.trim().split(/\s+/).map(Number);
  t.equal(inside, 0, 'root inside');
  t.ok(outside !== undefined && outside >= 65_536, `is uid ${outside} on the host`);
  t.equal(count, 65_536);
  const wrote = await exec('echo kept > /root/f && id -u');
  t.equal(wrote.stdout.trim(), '0', 'root writes its home');
  const name = `rexec-${created.id}`;
  const volume = (
    await engine(fleet.kind, [
      'inspect',
      '--format',
      '{{index .Config.Labels "io.rexec.home-volume"}}',
      name,
    ])
  ).stdout.trim();
  const dir = (
    await engine(fleet.kind, ['volume', 'inspect', '--format', '{{.Mountpoint}}', volume])
  ).stdout.trim();
  t.equal((await stat(join(dir, 'f'))).uid, outside, "the file is the range's on the host");
  t.equal((await fleet.api('DELETE', `/containers/${created.id}`)).status, 204);
});

void t.test('a host short of free disk says so and gets no new containers', async (t) => {
  const fleet = await startFleet(t, { engine: 'podman' });
  // More than any disk here: the storage is "low" from the first heartbeat.
  const { hostId } = await fleet.joinAgent('e2e-low-disk', {
    REXEC_MIN_FREE_DISK_MB: String(2 ** 40),
  });
  const host = await fleet.waitFor('the low storage on the host', async () => {
    const got = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    return got.storage?.low === true ? got : undefined;
  });
  t.ok((host.storage?.free_mb ?? 0) > 0, `free space is shown (${host.storage?.free_mb} MB)`);
  t.equal(host.scheduling, 'active', 'the host is not cordoned: it is skipped while low');
  const refused = await fleet.api('POST', '/containers', boxRequest(BOX));
  t.equal(refused.status, 503, 'a create finds no host');
  t.match(refused.body, { code: 'no_capacity' });
});
