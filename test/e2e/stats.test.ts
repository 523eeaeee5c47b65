// Container stats on the real fleet (control plane, agent, engine): the agent samples a busy
// container holding 16 MB in /dev/shm, the control plane stores the sample from a heartbeat, and
// GET /containers/:id/stats answers it within 10 % of what the engine itself reports, with the
// limits from the container's resources; another user gets 404; a stopped container answers null
// figures with `at: null`. The TS SDK's containers.stats and `rexec stats` (a table in a pipe, a
// redrawn view under a PTY) read the same route.
import t from 'tap';
import { ContainerStats, UserCreated } from '@rexec/protocol';
import { RexecClient } from '@rexec/sdk/node';
import { engine } from '../helpers/engine.js';
import { cliFixture } from '../sdk/cli-process.js';
import { startFleet } from './fleet.js';

const MIB = 1024 * 1024;

void t.test(
  'stats of a running container, its owner only; null figures once stopped',
  async (t) => {
    const fleet = await startFleet(t);
    await fleet.joinAgent('e2e-stats', {
      REXEC_STATS_INTERVAL_SECONDS: '1',
      REXEC_DISK_CHECK_SECONDS: '1',
    });
    const box = await fleet.createBox(
      { cpu_millicores: 1000, memory_mb: 64, disk_mb: 512 },
      'stats-box',
    );
    await fleet.containerStatus(box.id, 'running');
    await engine(fleet.kind, [
      'exec',
      `rexec-${box.id}`,
      'sh',
      '-c',
      'dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 2>/dev/null',
    ]);

    const stats = await fleet.waitFor(
      'a sample with 16 MB held and disk measured',
      async () => {
        const answer = await fleet.apiAs(ContainerStats, 'GET', `/containers/${box.id}/stats`);
        return answer.at !== null &&
          (answer.memory_bytes ?? 0) >= 16 * MIB &&
          answer.disk_used_mb !== null
          ? answer
          : undefined;
      },
      120_000,
      // Once a second, as the agent samples: a faster poll meets the read rate limit on a slow run.
      1_000,
    );
    const direct = await engine(fleet.kind, [
      'stats',
      '--no-stream',
      '--format',
      fleet.kind === 'podman' ? '{{json .ContainerStats}}' : '{{.MemUsage}}',
      `rexec-${box.id}`,
    ]);
    const engineMemory =
      fleet.kind === 'podman'
        ? (JSON.parse(direct.stdout) as { MemUsage: number }).MemUsage
        : Number(/^([\d.]+)MiB/.exec(direct.stdout.trim())?.[1]) * MIB;
    const memory = stats.memory_bytes ?? 0;
    t.ok(
      Math.abs(memory - engineMemory) <= 0.1 * engineMemory,
      `memory ${memory} within 10% of the engine's ${engineMemory}`,
    );
    t.equal(stats.memory_limit_bytes, 64 * MIB, 'the memory limit is the container memory_mb');
    t.equal(stats.disk_limit_mb, 512, 'the disk limit is the container disk_mb');
    t.ok((stats.pids ?? 0) >= 1, `pids ${stats.pids}`);
    t.ok(stats.cpu_percent !== null && stats.cpu_percent >= 0, `cpu ${stats.cpu_percent}%`);
    t.ok(stats.net_rx_bytes !== null && stats.net_tx_bytes !== null, 'network counted');
    t.ok(Date.parse(stats.at ?? '') > Date.parse(box.created_at), 'sampled after the create');

    const byName = await fleet.apiAs(ContainerStats, 'GET', '/containers/stats-box/stats');
    t.equal(byName.memory_limit_bytes, 64 * MIB, 'found by name as well');

    const mallory = UserCreated.parse(
      (await fleet.api('POST', '/users', { name: 'mallory-stats' })).body,
    );
    const other = await fleet.api('GET', `/containers/${box.id}/stats`, undefined, mallory.token);
    t.equal(other.status, 404, "another user's container is not found");
    t.match(other.body, { code: 'not_found' });
    const missing = await fleet.api('GET', `/containers/ctr_${'0'.repeat(32)}/stats`);
    t.equal(missing.status, 404);

    const client = new RexecClient({
      baseUrl: fleet.controlPlane.url,
      token: fleet.controlPlane.adminToken,
    });
    const fromSdk = await client.containers.stats('stats-box');
    t.equal(fromSdk.disk_limit_mb, 512, 'the TS SDK reads the same route');

    const cli = await cliFixture(t);
    const env = { REXEC_URL: fleet.controlPlane.url, REXEC_TOKEN: fleet.controlPlane.adminToken };
    const table = await cli.run(['stats', 'stats-box'], { env });
    t.equal(table.exitCode, 0, table.stderr);
    const [header, row] = table.stdout.trim().split('\n');
    t.match(
      header,
      /^NAME\s+CPU %\s+MEM \/ LIMIT\s+DISK \/ LIMIT\s+NET RX \/ TX\s+PIDS\s+SAMPLED$/,
    );
    t.match(row, /^stats-box\s+\d+\.\d\s+[\d.]+MiB \/ 64\.0MiB \(\d+\.\d%\)\s+\d+MB \/ 512MB/);
    t.equal(table.stdout.trim().split('\n').length, 2, 'one table, once, in a pipe');
    const json = await cli.run(['stats', 'stats-box', '--json'], { env });
    t.equal(ContainerStats.parse(JSON.parse(json.stdout)).disk_limit_mb, 512, '--json');
    const unknown = await cli.run(['stats', 'no-such-box'], { env });
    t.equal(unknown.exitCode, 3, 'a missing container is the not-found exit code');

    const login = await cli.run(['login', '--url', fleet.controlPlane.url, '--token-stdin'], {
      input: `${fleet.controlPlane.adminToken}\n`,
    });
    t.equal(login.exitCode, 0, login.stderr);
    const live = cli.pty(['stats', 'stats-box'], { cols: 160, rows: 20 });
    // Two redraws (clear and home before each table): the view updates until it is interrupted.
    const clear = String.raw`\u001b\[H\u001b\[2J`;
    await live.waitFor(new RegExp(`${clear}[^]*stats-box[^]*${clear}[^]*stats-box`), 30_000);
    t.match(live.output(), /Ctrl-C to quit/);
    live.pty.write('\x03');
    await live.exited;

    await fleet.api('POST', `/containers/${box.id}/stop`);
    await fleet.containerStatus(box.id, 'stopped');
    const stopped = await fleet.apiAs(ContainerStats, 'GET', `/containers/${box.id}/stats`);
    t.same(
      [stopped.at, stopped.cpu_percent, stopped.memory_bytes, stopped.pids, stopped.net_rx_bytes],
      [null, null, null, null, null],
      'a stopped container has no current figures',
    );
    t.equal(stopped.memory_limit_bytes, 64 * MIB, 'its limits are still shown');
    t.ok(stopped.disk_used_mb !== null, 'disk as last measured is still shown');
  },
);
