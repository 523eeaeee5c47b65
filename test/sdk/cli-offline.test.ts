// The `rexec` CLI as a real process where no control plane is needed: help, usage mistakes (exit
// 2), no login (exit 4), and REXEC_URL/REXEC_TOKEN used without a config file (unreachable: 7).
import t from 'tap';
import { cliFixture } from './cli-process.js';

void t.test('help lists the commands and the exit codes', async (t) => {
  const cli = await cliFixture(t);
  const help = await cli.run(['help']);
  t.equal(help.exitCode, 0);
  t.match(help.stdout, /usage: rexec <command>/);
  t.match(help.stdout, /shell\s+open an interactive shell/);
  t.match(help.stdout, /exit codes: 0 ok, 1 API error, 2 usage, 3 not found, 4 auth/);
});

void t.test('usage mistakes exit 2 with one sentence', async (t) => {
  const cli = await cliFixture(t);
  for (const args of [['frobnicate'], ['ls', '--bogus'], ['stop'], ['create', '--cpu', 'x']]) {
    const result = await cli.run(args);
    t.equal(result.exitCode, 2, args.join(' '));
    t.match(result.stderr, /^rexec: .*\[usage\]\n?$/, args.join(' '));
  }
});

void t.test('without a login an API command exits 4 and says how to log in', async (t) => {
  const cli = await cliFixture(t);
  const result = await cli.run(['ls']);
  t.equal(result.exitCode, 4);
  t.match(result.stderr, /Not logged in: run "rexec login/);
});

void t.test('REXEC_URL and REXEC_TOKEN stand in for a login; no answer exits 7', async (t) => {
  const cli = await cliFixture(t);
  const result = await cli.run(['ls', '--json'], {
    env: { REXEC_URL: 'http://127.0.0.1:9', REXEC_TOKEN: `rexec_${'1'.repeat(64)}` },
  });
  t.equal(result.exitCode, 7);
  t.match(
    result.stderr,
    /^rexec: .*could not reach .*\[network_error\]\nrexec: next: is the control plane running.*\n?$/,
  );
  t.equal(result.stdout, '', 'nothing on stdout for a script to misread');
});
