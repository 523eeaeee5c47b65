// Background execs on the real fleet: a control plane process, a real agent running `<engine> exec`
// in a busybox container, REST calls and real WebSockets through the SDK (Node's `ws` transport
// and the browser transport, which carries the token as a subprotocol). Status, both streams,
// stdin and stdin_eof, reattaching after a dropped client from an offset (and `truncated_before`
// once the ring dropped it), signals by socket and by route, the per-container limit, the grace
// period running out, the refusals, and `rexec exec` printing output while the command runs.
import { ErrorBody, ExecStarted, ExecStatus } from '@rexec/protocol';
import {
  RexecClient,
  RexecError,
  standardSocketTransport,
  type ExecStream,
  type StandardWebSocketConstructor,
} from '@rexec/sdk/node';
import t from 'tap';
import WebSocket from 'ws';
import { rejectionOf } from '../helpers/net.js';
import { cliFixture } from '../sdk/cli-process.js';
import { startFleet, type Fleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 };
const MAX_CONCURRENT = 2;
const BUFFER_KB = 4;
const GRACE_SECONDS = 5;

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('utf8');

/** Collects a stream's output by stream, and resolves `until` once stdout matches. */
function gather(stream: ExecStream) {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(text(out))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const reading = Promise.all([
    (async () => {
      for await (const chunk of stream.stdout) {
        out.push(chunk);
        check();
      }
    })(),
    (async () => {
      for await (const chunk of stream.stderr) err.push(chunk);
    })(),
  ]).catch(() => undefined);
  return {
    stdout: () => text(out),
    stderr: () => text(err),
    until: (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        waiters.push({ pattern, resolve });
        check();
      }),
    reading,
  };
}

async function background(fleet: Fleet, id: string, body: Record<string, unknown>) {
  return fleet.apiAs(ExecStarted, 'POST', `/containers/${id}/exec`, { ...body, background: true });
}

async function status(fleet: Fleet, id: string, execId: string) {
  return fleet.apiAs(ExecStatus, 'GET', `/containers/${id}/exec/${execId}`);
}

void t.test('background execs on the real fleet', async (t) => {
  const fleet = await startFleet(t, {
    env: {
      REXEC_EXEC_MAX_CONCURRENT: String(MAX_CONCURRENT),
      REXEC_EXEC_BUFFER_KB: String(BUFFER_KB),
      REXEC_EXEC_GRACE_SECONDS: String(GRACE_SECONDS),
    },
  });
  await fleet.joinAgent('e2e-exec-stream');
  const created = await fleet.createBox(BOX);
  await fleet.containerStatus(created.id, 'running');
  const box = created.id;
  const client = new RexecClient({
    baseUrl: fleet.controlPlane.url,
    token: fleet.controlPlane.adminToken,
  });

  void t.test('202 then status; both streams and the exit code over the socket', async (t) => {
    const started = await background(fleet, box, {
      command: 'echo out; echo err >&2; exit 3',
    });
    t.equal(started.status, 'running');
    const stream = client.containers.reattach(box, started.exec_id);
    const output = gather(stream);
    t.same(await stream.ready, { offset: 0 });
    t.same(await stream.wait(), { exitCode: 3 });
    await output.reading;
    t.equal(output.stdout(), 'out\n');
    t.equal(output.stderr(), 'err\n');
    t.equal(stream.offset, 8, 'the offset counts both streams');
    const done = await status(fleet, box, started.exec_id);
    t.match(done, { exec_id: started.exec_id, status: 'exited', exit_code: 3, output_bytes: 8 });
    t.ok(done.ended_at !== undefined && done.ended_at >= done.started_at);
  });

  void t.test('stdin through the socket, output live, stdin_eof ends it', async (t) => {
    const stream = await client.containers.execStream(box, { argv: ['cat'] });
    const output = gather(stream);
    stream.write('hello\n');
    await output.until(/^hello\n$/);
    const running = await client.containers.execStatus(box, stream.execId);
    t.equal(running.status, 'running', 'the echo arrived while the command still ran');
    t.notOk('exit_code' in running);
    const writer = stream.stdin.getWriter();
    await writer.write('bye');
    await writer.close();
    t.same(await stream.wait(), { exitCode: 0 });
    await output.reading;
    t.equal(output.stdout(), 'hello\nbye');
  });

  void t.test('the body stdin of a background exec is written and ended', async (t) => {
    const started = await background(fleet, box, { argv: ['tr', 'a-z', 'A-Z'], stdin: 'shout\n' });
    const stream = client.containers.reattach(box, started.exec_id);
    const output = gather(stream);
    t.same(await stream.wait(), { exitCode: 0 });
    await output.reading;
    t.equal(output.stdout(), 'SHOUT\n');
  });

  void t.test('a dropped client reattaches from its offset; the command carried on', async (t) => {
    const stream = await client.containers.execStream(box, {
      command: 'echo first; read x; echo "second-$x"',
    });
    const output = gather(stream);
    await output.until(/^first\n$/);
    const offset = stream.offset;
    t.equal(offset, 6);
    stream.close();
    await t.rejects(stream.wait(), RexecError, 'the dropped stream ends without an exit');
    t.equal((await client.containers.execStatus(box, stream.execId)).status, 'running');

    const again = client.containers.reattach(box, stream.execId, { offset: 0 });
    const replay = gather(again);
    await replay.until(/^first\n$/);
    again.close();
    await t.rejects(again.wait());

    const resumed = client.containers.reattach(box, stream.execId, { offset });
    const rest = gather(resumed);
    t.same(await resumed.ready, { offset });
    resumed.write('z\n');
    t.same(await resumed.wait(), { exitCode: 0 });
    await rest.reading;
    t.equal(rest.stdout(), 'second-z\n', 'exactly the output after the offset');
  });

  void t.test('output older than the buffer is reported as truncated_before', async (t) => {
    const total = BUFFER_KB * 1024 * 3;
    const started = await background(fleet, box, {
      command: `head -c ${total} /dev/zero | tr '\\0' a; read x; exit 0`,
    });
    await fleet.waitFor('the output to be written', async () => {
      const now = await status(fleet, box, started.exec_id);
      return now.output_bytes >= total ? true : undefined;
    });
    const stream = client.containers.reattach(box, started.exec_id, { offset: 0 });
    const output = gather(stream);
    const ready = await stream.ready;
    t.ok(ready.truncatedBefore !== undefined && ready.truncatedBefore > 0, 'the start was dropped');
    t.equal(ready.offset, ready.truncatedBefore, 'output starts at the oldest byte kept');
    t.ok(total - ready.offset <= BUFFER_KB * 1024, 'at most the buffer is kept');
    stream.endStdin();
    t.same(await stream.wait(), { exitCode: 0 });
    await output.reading;
    t.equal(output.stdout(), 'a'.repeat(total - ready.offset));
  });

  void t.test('signals by socket and by route reach the command', async (t) => {
    // A signal goes to the processes there are: wait until the command runs before sending one.
    const stream = await client.containers.execStream(box, {
      command: 'echo started; exec sleep 300',
    });
    await gather(stream).until(/started/);
    stream.signal('TERM');
    t.same(await stream.wait(), { exitCode: 143 }, '128 + SIGTERM');

    const started = await background(fleet, box, { command: 'echo started; exec sleep 301' });
    await fleet.waitFor('the command to run', async () => {
      const now = await status(fleet, box, started.exec_id);
      return now.output_bytes > 0 ? true : undefined;
    });
    const answer = await fleet.api('POST', `/containers/${box}/exec/${started.exec_id}/signal`, {
      signal: 'KILL',
    });
    t.equal(answer.status, 202);
    const killed = await fleet.waitFor('the killed command to exit', async () => {
      const now = await status(fleet, box, started.exec_id);
      return now.status === 'exited' ? now : undefined;
    });
    t.equal(killed.exit_code, 137, '128 + SIGKILL');
    const badSignal = await fleet.api('POST', `/containers/${box}/exec/${started.exec_id}/signal`, {
      signal: 'STOP',
    });
    t.equal(badSignal.status, 400);
  });

  void t.test('a container runs at most REXEC_EXEC_MAX_CONCURRENT execs', async (t) => {
    const running = await Promise.all(
      Array.from({ length: MAX_CONCURRENT }, () =>
        background(fleet, box, { argv: ['sleep', '302'] }),
      ),
    );
    const over = await fleet.api('POST', `/containers/${box}/exec`, {
      argv: ['true'],
      background: true,
    });
    t.equal(over.status, 429);
    t.equal(ErrorBody.parse(over.body).code, 'too_many_execs');
    for (const exec of running) {
      await client.containers.execSignal(box, exec.exec_id, 'KILL');
    }
    // Ended means exited, or already gone when its grace ran out before this poll came round.
    await fleet.waitFor('the slots to free up', async () => {
      const all = await Promise.all(
        running.map((exec) => fleet.api('GET', `/containers/${box}/exec/${exec.exec_id}`)),
      );
      const ended = all.every(
        (answer) =>
          answer.status === 404 ||
          (answer.status === 200 && (answer.body as { status?: string }).status === 'exited'),
      );
      return ended ? true : undefined;
    });
    const after = await background(fleet, box, { argv: ['true'] });
    t.equal(after.status, 'running', 'room again once they end');
  });

  void t.test('the result is kept for the grace period, then 404', async (t) => {
    const started = await background(fleet, box, { argv: ['true'] });
    await fleet.waitFor('the exec to end', async () => {
      const now = await status(fleet, box, started.exec_id);
      return now.status === 'exited' ? true : undefined;
    });
    const gone = await fleet.waitFor('the grace period to run out', async () => {
      const answer = await fleet.api('GET', `/containers/${box}/exec/${started.exec_id}`);
      return answer.status === 404 ? answer : undefined;
    });
    t.equal(ErrorBody.parse(gone.body).code, 'not_found');
    const late = client.containers.reattach(box, started.exec_id);
    const error = await rejectionOf(late.wait(), RexecError);
    t.equal(error.code, 'exec_not_found', 'the socket says the exec is gone');
  });

  void t.test('the browser transport carries the token as a subprotocol', async (t) => {
    const browserLike = new RexecClient({
      baseUrl: fleet.controlPlane.url,
      token: fleet.controlPlane.adminToken,
      webSocket: standardSocketTransport(WebSocket as unknown as StandardWebSocketConstructor),
    });
    const stream = await browserLike.containers.execStream(box, { command: 'echo via-browser' });
    const output = gather(stream);
    stream.endStdin();
    t.same(await stream.wait(), { exitCode: 0 });
    await output.reading;
    t.equal(output.stdout(), 'via-browser\n');
  });

  void t.test(
    'rexec exec streams live: the first line comes before the command ends',
    async (t) => {
      const cli = await cliFixture(t);
      const login = await cli.run(['login', '--url', fleet.controlPlane.url, '--token-stdin'], {
        input: `${fleet.controlPlane.adminToken}\n`,
      });
      t.equal(login.exitCode, 0, login.stderr);
      const live = cli.pty([
        'exec',
        box,
        '--',
        'sh',
        '-c',
        'echo first-line; while [ ! -e /tmp/go-on ]; do sleep 0.1; done; echo second-line; exit 5',
      ]);
      await live.waitFor(/first-line/);
      t.notMatch(live.output(), /second-line/, 'the command is still waiting');
      // Only now may the command go on: the first line cannot have come from a finished command.
      const go = await fleet.api('POST', `/containers/${box}/exec`, {
        argv: ['touch', '/tmp/go-on'],
      });
      t.equal(go.status, 200);
      t.equal(await live.exited, 5, "the CLI exits with the command's code");
      t.match(live.output(), /first-line[\s\S]*second-line/);
    },
  );

  void t.test('refusals: unknown exec 404, another user 404, stopped 409', async (t) => {
    const unknown = await fleet.api('GET', `/containers/${box}/exec/exe_${'0'.repeat(32)}`);
    t.equal(unknown.status, 404);
    const malformed = await fleet.api('GET', `/containers/${box}/exec/not-an-id`);
    t.equal(malformed.status, 400);
    const started = await background(fleet, box, { argv: ['sleep', '303'] });
    const mallory = await fleet.api('POST', '/users', { name: 'mallory-exec-stream' });
    const token = (mallory.body as { token: string }).token;
    const other = await fleet.api(
      'GET',
      `/containers/${box}/exec/${started.exec_id}`,
      undefined,
      token,
    );
    t.equal(other.status, 404);

    await fleet.api('POST', `/containers/${box}/stop`);
    await fleet.containerStatus(box, 'stopped');
    const stopped = await fleet.api('GET', `/containers/${box}/exec/${started.exec_id}`);
    t.equal(stopped.status, 409);
    t.equal(ErrorBody.parse(stopped.body).code, 'invalid_state');
    const start = await fleet.api('POST', `/containers/${box}/exec`, {
      argv: ['true'],
      background: true,
    });
    t.equal(start.status, 409);
  });
});
