// Exec on the real fleet: a control plane process, a real agent running `<engine> exec` in a
// busybox container, and REST calls. Exit codes, both streams, argv without a shell, stdin, env,
// cwd, user, a timeout that kills every process of the command (background and setsid'd ones
// too), a client hanging up (which kills it too), non-UTF-8 output, truncation at a small output
// limit, the per-container limit, and the refusals (validation, another user's container, a
// stopped container).
import { ErrorBody, ExecResult, UserCreated } from '@rexec/protocol';
import t from 'tap';
import { startFleet, type Fleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 };
const OUTPUT_LIMIT_KB = 64;
const MAX_CONCURRENT = 2;

async function runningBox(fleet: Fleet): Promise<string> {
  const box = await fleet.createBox(BOX);
  await fleet.containerStatus(box.id, 'running');
  return box.id;
}

async function exec(fleet: Fleet, id: string, body: unknown): Promise<ExecResult> {
  return fleet.apiAs(ExecResult, 'POST', `/containers/${id}/exec`, body);
}

async function refused(fleet: Fleet, id: string, body: unknown, token?: string) {
  const answer = await fleet.api('POST', `/containers/${id}/exec`, body, token);
  return { status: answer.status, body: ErrorBody.parse(answer.body) };
}

void t.test('exec on the real fleet', async (t) => {
  const fleet = await startFleet(t, {
    env: {
      REXEC_EXEC_OUTPUT_LIMIT_KB: String(OUTPUT_LIMIT_KB),
      REXEC_EXEC_MAX_CONCURRENT: String(MAX_CONCURRENT),
    },
  });
  await fleet.joinAgent('e2e-exec');
  const box = await runningBox(fleet);

  void t.test('exit code and both streams; argv runs without a shell', async (t) => {
    const shell = await exec(fleet, box, { command: 'echo out; echo err >&2; exit 3' });
    t.match(shell, {
      exit_code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      stdout_truncated: false,
      stderr_truncated: false,
      timed_out: false,
    });
    t.notOk('stdout_base64' in shell);
    const direct = await exec(fleet, box, { argv: ['printf', '%s|', 'a b', '$HOME', ';true'] });
    t.equal(direct.exit_code, 0);
    t.equal(direct.stdout, 'a b|$HOME|;true|', 'arguments reach the program untouched');
    const missing = await exec(fleet, box, { argv: ['no-such-program'] });
    t.not(missing.exit_code, 0, 'a program that does not exist fails');
  });

  void t.test('stdin, env, cwd and user', async (t) => {
    const cat = await exec(fleet, box, { argv: ['cat'], stdin: 'hello\nwörld\n' });
    t.equal(cat.stdout, 'hello\nwörld\n');
    const big = 'x'.repeat(900_000);
    const counted = await exec(fleet, box, { argv: ['wc', '-c'], stdin: big });
    t.match(counted.stdout, /^\s*900000\s*$/, 'stdin beyond one credit window arrives whole');
    const empty = await exec(fleet, box, { argv: ['wc', '-c'] });
    t.match(empty.stdout, /^\s*0\s*$/, 'without stdin the command reads nothing');
    const where = await exec(fleet, box, {
      command: 'echo "$GREETING"; pwd; id -u',
      env: { GREETING: 'hi there', REXEC_EXEC_ID: 'spoofed' },
      cwd: '/tmp',
      user: '65534',
    });
    t.equal(where.stdout, 'hi there\n/tmp\n65534\n');
  });

  void t.test('a timeout kills every process of the command', async (t) => {
    const slow = await exec(fleet, box, {
      command: 'sleep 4321 & setsid sleep 4322 & sleep 4323; echo never',
      timeout_seconds: 1,
    });
    t.match(slow, { timed_out: true, exit_code: null, stdout: '' });
    const ps = await exec(fleet, box, { argv: ['ps'] });
    t.equal(ps.exit_code, 0);
    t.notMatch(ps.stdout, /sleep 432[123]/, 'no process of the timed-out command is left');
  });

  void t.test('output that is not UTF-8 comes as base64; UTF-8 stays text', async (t) => {
    const binary = await exec(fleet, box, { command: "printf '\\377\\376ok'; printf 'é' >&2" });
    t.equal(binary.stdout, '');
    t.equal(binary.stdout_base64, Buffer.from([0xff, 0xfe, 0x6f, 0x6b]).toString('base64'));
    t.equal(binary.stderr, 'é');
    t.notOk('stderr_base64' in binary);
  });

  void t.test('output past the limit is counted, not kept', async (t) => {
    const big = await exec(fleet, box, { command: 'yes | head -c 300000; echo done >&2' });
    t.equal(big.exit_code, 0);
    t.equal(big.stdout.length, OUTPUT_LIMIT_KB * 1024);
    t.ok(big.stdout_truncated);
    t.equal(big.stderr, 'done\n');
    t.notOk(big.stderr_truncated);
  });

  void t.test('a client that hangs up kills its command', async (t) => {
    const hangUp = new AbortController();
    const request = fetch(`${fleet.controlPlane.url}/api/v1/containers/${box}/exec`, {
      method: 'POST',
      signal: hangUp.signal,
      headers: {
        authorization: `Bearer ${fleet.controlPlane.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ command: 'sleep 4444 & sleep 4445', timeout_seconds: 600 }),
    });
    const running = await fleet.waitFor('the command to run', async () => {
      const ps = await exec(fleet, box, { argv: ['ps'] });
      return /sleep 4445/.test(ps.stdout) ? true : undefined;
    });
    t.ok(running);
    hangUp.abort();
    await t.rejects(request, 'the request was cut');
    const gone = await fleet.waitFor(
      'the command to be killed',
      async () => {
        const ps = await exec(fleet, box, { argv: ['ps'] });
        return /sleep 444[45]/.test(ps.stdout) ? undefined : true;
      },
      20_000,
    );
    t.ok(gone, 'no process of the abandoned command is left');
  });

  void t.test('a container runs at most REXEC_EXEC_MAX_CONCURRENT commands', async (t) => {
    const long = Array.from({ length: MAX_CONCURRENT }, () =>
      exec(fleet, box, { argv: ['sleep', '60'], timeout_seconds: 4 }),
    );
    let refusal: Awaited<ReturnType<typeof refused>> | undefined;
    for (let attempt = 0; attempt < 10 && refusal === undefined; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answer = await fleet.api('POST', `/containers/${box}/exec`, { argv: ['true'] });
      if (answer.status !== 200)
        refusal = { status: answer.status, body: ErrorBody.parse(answer.body) };
    }
    t.equal(refusal?.status, 429);
    t.equal(refusal?.body.code, 'too_many_execs');
    for (const result of await Promise.all(long)) t.ok(result.timed_out);
    t.equal((await exec(fleet, box, { argv: ['true'] })).exit_code, 0, 'room again once they end');
  });

  void t.test('refusals: bad bodies 400, another user 404, stopped 409', async (t) => {
    const both = await refused(fleet, box, { argv: ['true'], command: 'true' });
    t.equal(both.status, 400);
    t.equal(both.body.code, 'invalid_request');
    const neither = await refused(fleet, box, {});
    t.equal(neither.status, 400);
    const tooLong = await refused(fleet, box, { argv: ['true'], timeout_seconds: 3601 });
    t.equal(tooLong.status, 400);
    const relative = await refused(fleet, box, { argv: ['true'], cwd: 'tmp' });
    t.equal(relative.status, 400);
    const misspelt = await refused(fleet, box, { argv: ['true'], timeout: 5 });
    t.equal(misspelt.status, 400, 'an unknown field is refused, not ignored');

    const response = await fetch(`${fleet.controlPlane.url}/api/v1/containers/${box}/exec`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fleet.controlPlane.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ argv: ['true'] }),
    });
    await response.text();
    t.ok(response.headers.get('x-ratelimit-limit'), 'exec draws from a rate-limit budget');

    const created = await fleet.api('POST', '/users', { name: 'mallory-exec' });
    const mallory = UserCreated.parse(created.body);
    const other = await refused(fleet, box, { argv: ['true'] }, mallory.token);
    t.equal(other.status, 404);
    t.equal(other.body.code, 'not_found');

    await fleet.api('POST', `/containers/${box}/stop`);
    await fleet.containerStatus(box, 'stopped');
    const stopped = await refused(fleet, box, { argv: ['true'] });
    t.equal(stopped.status, 409);
    t.match(stopped.body, { code: 'invalid_state', status: 'stopped' });
  });
});
