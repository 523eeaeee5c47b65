// The process harness the end-to-end suites rely on: it waits for the ready log line, fails with
// the process's own output when it dies or never gets ready, stops it (SIGKILL after a grace) and
// cleans up in teardown. Driven against a real fixture program, fixtures/json-logger.ts.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { removeAfterProcesses, spawnUntilReady } from '../helpers/child-process.js';
import { generateToken } from '../helpers/processes.js';

const ENTRY = 'test/harness/fixtures/json-logger.ts';

function startFixture(
  t: Test,
  mode: string,
  extra: { readyTimeoutMs?: number; stopGraceMs?: number } = {},
) {
  return spawnUntilReady(t, {
    name: `fixture ${mode}`,
    entry: ENTRY,
    env: { FIXTURE_MODE: mode, REXEC_GIVEN: 'yes' },
    readyMsg: 'listening',
    ...extra,
  });
}

function isRunning(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

void t.test(
  'resolves with the parsed ready line and stops on SIGTERM with the exit code',
  async (t) => {
    process.env['REXEC_LEAKED_FROM_PARENT'] = 'no';
    t.teardown(() => {
      delete process.env['REXEC_LEAKED_FROM_PARENT'];
    });
    const running = await startFixture(t, 'ready');
    t.equal(running.ready['url'], 'http://127.0.0.1:1');
    t.same(
      running.ready['inherited'],
      ['REXEC_GIVEN'],
      "the parent's REXEC_ variables are not passed on",
    );
    t.match(running.output(), /plain text before the JSON lines/);
    t.match(running.output(), /a line on stderr/);
    t.equal(await running.stop(), 0);
    t.notOk(isRunning(running.process.pid), 'the process is gone');
    t.equal(await running.stop(), 0, 'stopping again reports the same exit code');
  },
);

void t.test('rejects with the captured output when the process exits before ready', async (t) => {
  await t.rejects(startFixture(t, 'exit-early'), {
    message: /exited \(code 3, signal null\) before ready[\s\S]*fatal: REXEC_PORT is not a port/,
  });
});

void t.test('rejects after the ready timeout with the output so far', async (t) => {
  // Long enough for tsx to start the fixture on a busy machine, so its first lines are in the error.
  await t.rejects(startFixture(t, 'silent', { readyTimeoutMs: 15_000 }), {
    message: /did not log "msg":"listening" within 15000 ms[\s\S]*"msg":"starting"/,
  });
});

void t.test('stop() falls back to SIGKILL when SIGTERM is ignored', async (t) => {
  const running = await startFixture(t, 'stubborn', { stopGraceMs: 500 });
  t.equal(await running.stop(), null, 'no exit code: the process was killed by a signal');
  t.equal(running.process.signalCode, 'SIGKILL');
});

void t.test('teardown stops every process of the test, then removes its directories', async (t) => {
  let pid: number | undefined;
  let dir = '';
  await t.test('starts a process and leaves it running', async (t) => {
    dir = await mkdtemp(join(tmpdir(), 'rexec-harness-'));
    removeAfterProcesses(t, dir);
    pid = (await startFixture(t, 'ready')).process.pid;
    t.ok(isRunning(pid), 'running during the test');
  });
  t.notOk(isRunning(pid), 'stopped after the test');
  t.notOk(existsSync(dir), 'its directory was removed');
});

void t.test('generated tokens have the control plane format', (t) => {
  const token = generateToken();
  t.match(token, /^rexec_[0-9a-f]{64}$/);
  t.not(generateToken(), token);
  t.end();
});
