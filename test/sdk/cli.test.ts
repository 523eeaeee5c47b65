// The `rexec` CLI as a real process against a real fleet (control plane, agent, podman): login
// stores a 0600 config, create --wait, ls as a table and as JSON, a shell under a PTY (input,
// resize on SIGWINCH, the shell's exit code, Ctrl-D), stop, rm, and the API's exit codes. Each
// spawn costs a Node start, so what needs no server is in cli-offline.test.ts.
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Container } from '@rexec/protocol';
import { BUSYBOX_IMAGE } from '../helpers/engine.js';
import { startFleet } from '../e2e/fleet.js';
import { cliFixture } from './cli-process.js';

void t.test('the rexec CLI on a real fleet', async (t) => {
  const fleet = await startFleet(t);
  await fleet.joinAgent('cli-host-1', {
    REXEC_CAPACITY_CPU_MILLICORES: '4000',
    REXEC_CAPACITY_MEMORY_MB: '4096',
    REXEC_CAPACITY_DISK_MB: '40960',
  });
  const cli = await cliFixture(t);
  const url = fleet.controlPlane.url;
  const configFile = join(cli.configHome, 'rexec', 'config.json');

  await t.test('login checks the token and stores it 0600', async (t) => {
    const bad = await cli.run(['login', '--url', url, '--token', `rexec_${'0'.repeat(64)}`]);
    t.equal(bad.exitCode, 4, 'an unknown token is an auth failure');
    t.match(bad.stderr, /\[unauthorized\]/);
    await t.rejects(stat(configFile), 'nothing is saved for a bad token');

    const good = await cli.run(['login', '--url', url, '--token-stdin'], {
      input: `${fleet.controlPlane.adminToken}\n`,
    });
    t.equal(good.exitCode, 0, good.stderr);
    t.match(good.stdout, /Logged in to .* as admin/);
    t.equal(
      (await stat(configFile)).mode & 0o777,
      0o600,
      'the config is readable by its owner only',
    );
    t.same(JSON.parse(await readFile(configFile, 'utf8')), {
      url,
      token: fleet.controlPlane.adminToken,
    });
  });

  await t.test('create --wait prints the running container; ls shows it', async (t) => {
    const created = await cli.run([
      'create',
      '--name',
      'cli-box',
      '--custom-image',
      BUSYBOX_IMAGE,
      '--cpu',
      '250m',
      '--memory',
      '64',
      '--disk',
      '1G',
      '--wait',
      '--json',
    ]);
    t.equal(created.exitCode, 0, created.stderr);
    t.equal(created.stderr, '', 'no progress drawing when stderr is not a terminal');
    const container = Container.parse(JSON.parse(created.stdout));
    t.equal(container.status, 'running');
    t.same(container.resources, {
      cpu_millicores: 250,
      memory_mb: 64,
      disk_mb: 1024,
      network_mbps: container.resources.network_mbps,
    });

    const table = await cli.run(['ls']);
    t.equal(table.exitCode, 0);
    const [header, row] = table.stdout.split('\n');
    t.match(header, /^NAME\s+ID\s+STATUS\s+IMAGE/);
    t.match(row, new RegExp(`^cli-box\\s+${container.id}\\s+running\\s+`));

    const json = await cli.run(['ls', '--json']);
    t.equal(json.exitCode, 0);
    const listed = Container.array().parse(JSON.parse(json.stdout));
    t.same(
      listed.map((c) => c.name),
      ['cli-box'],
    );
  });

  await t.test('failures exit with their documented codes', async (t) => {
    const missing = await cli.run(['stop', 'no-such-box']);
    t.equal(missing.exitCode, 3);
    t.match(missing.stderr, /^rexec: .*\[not_found\]\nrexec: next: .*rexec ls.*\n?$/);

    const taken = await cli.run(['create', '--name', 'cli-box', '--custom-image', BUSYBOX_IMAGE]);
    t.equal(taken.exitCode, 6);
    t.match(taken.stderr, /\[name_taken\]/);

    const tooBig = await cli.run(['create', '--image', 'alpine:latest', '--cpu', '64']);
    t.equal(tooBig.exitCode, 5);
    t.match(tooBig.stderr, /\[resource_limit_exceeded\]\nrexec: next: .*rexec me/);
  });

  await t.test('shell runs under a PTY: input, resize, exit code and Ctrl-D', async (t) => {
    const first = cli.pty(['shell', 'cli-box', '--session', 'pty1'], { cols: 90, rows: 25 });
    first.pty.write('echo pty-$((2+3))\r');
    await first.waitFor(/pty-5/);
    first.pty.resize(100, 33);
    // SIGWINCH reaches the CLI asynchronously; ask until the remote PTY reports the new size.
    const deadline = Date.now() + 30_000;
    while (!/33 100/.test(first.output()) && Date.now() < deadline) {
      first.pty.write('stty size\r');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    t.match(first.output(), /33 100/, 'the remote terminal was resized');
    first.pty.write('exit 4\r');
    t.equal(await first.exited, 4, "the CLI exits with the shell's code");

    const second = cli.pty(['shell', 'cli-box', '--session', 'pty2']);
    second.pty.write('echo ready-$((1+1))\r');
    await second.waitFor(/ready-2/);
    second.pty.write('\u0004');
    t.equal(await second.exited, 0, 'Ctrl-D ends the shell');

    const progress = cli.pty([
      'create',
      '--name',
      'cli-progress',
      '--custom-image',
      BUSYBOX_IMAGE,
      '--cpu',
      '250m',
      '--memory',
      '64',
      '--disk',
      '1G',
      '--wait',
    ]);
    t.equal(await progress.exited, 0, progress.output());
    t.match(progress.output(), /Waiting for cli-progress/, 'progress is drawn on a terminal');
    t.match(progress.output(), /Created cli-progress; it is running\./);
  });

  await t.test(
    'exec runs argv, passes piped stdin, writes both streams, exits with the code',
    async (t) => {
      const piped = await cli.run(
        [
          'exec',
          'cli-box',
          '--env',
          'GREETING=hi there',
          '--cwd',
          '/tmp',
          '--',
          'sh',
          '-c',
          'echo "$GREETING from $(pwd)"; tr a-z A-Z; echo oops >&2; exit 7',
        ],
        { input: 'piped input\n' },
      );
      t.equal(piped.exitCode, 7, "the CLI exits with the command's code");
      // The process helper strips one final newline, as a shell's $(…) does.
      t.equal(piped.stdout, 'hi there from /tmp\nPIPED INPUT');
      t.equal(piped.stderr, 'oops');

      const binary = await cli.run(['exec', 'cli-box', '--', 'printf', '\\377ok']);
      t.equal(binary.exitCode, 0, binary.stderr);
      t.equal(binary.stdout, '\uFFFDok', 'the byte 0xff came out (read back as UTF-8 here)');
      const binaryJson = await cli.run(['exec', 'cli-box', '--json', '--', 'printf', '\\377ok']);
      t.match(JSON.parse(binaryJson.stdout), {
        stdout: '',
        stdout_base64: Buffer.from([0xff, 0x6f, 0x6b]).toString('base64'),
      });

      const slow = await cli.run(['exec', 'cli-box', '--timeout', '1', '--', 'sleep', '30']);
      t.equal(slow.exitCode, 124, 'a timed-out command exits 124, as with timeout(1)');
      t.match(slow.stderr, /timed out/);

      const usage = await cli.run(['exec', 'cli-box']);
      t.equal(usage.exitCode, 2, 'a command is required');
    },
  );

  await t.test('stop and rm', async (t) => {
    const stopped = await cli.run(['stop', 'cli-box']);
    t.equal(stopped.exitCode, 0, stopped.stderr);
    t.match(stopped.stdout, /^Stopped cli-box\.\n.*status:\s+stopped \(user\)/s);

    const logs = await cli.run(['logs', 'cli-box']);
    t.equal(logs.exitCode, 0, logs.stderr);
    t.equal(logs.stdout.trim(), 'No setup log and no status detail.', 'a barebone box has none');
    const logsJson = await cli.run(['logs', 'cli-box', '--json']);
    t.same(JSON.parse(logsJson.stdout), { setup_log: '', truncated: false });
    const noLogs = await cli.run(['logs', 'no-such-box']);
    t.equal(noLogs.exitCode, 3, 'an unknown container is not found');

    const shellOnStopped = await cli.run(['shell', 'cli-box']);
    t.equal(shellOnStopped.exitCode, 6, 'a shell into a stopped container is a conflict');
    t.match(shellOnStopped.stderr, /\[invalid_state\]/);

    for (const name of ['cli-box', 'cli-progress']) {
      const removed = await cli.run(['rm', name, '--json']);
      t.equal(removed.exitCode, 0, removed.stderr);
      t.same(JSON.parse(removed.stdout), { container: name, status: 'removed' });
    }
  });
});
