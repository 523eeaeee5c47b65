// Enrollment's retries (packages/agent/src/enroll.ts) against a real HTTP server on port 0 that
// fails the way a control plane does while it starts or breaks: a connection cut before any
// answer, then a 503, then the real answer. The agent retries both and stores nothing until the
// credential comes; a 4xx other than those is fatal at once (daemon.test.ts covers the 401).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { enroll } from '../../packages/agent/src/enroll.js';
import { AgentFatalError } from '../../packages/agent/src/errors.js';
import { capturedLog } from '../helpers/captured-log.js';

/** A server answering the n-th enrollment with `answers[n]`; past the list, the last one. */
async function scriptedServer(
  t: Test,
  answers: readonly ('cut' | number)[],
): Promise<{ url: URL; requests: number }> {
  const state = { url: new URL('http://127.0.0.1/'), requests: 0 };
  const server = createServer((request, response) => {
    const answer = answers[Math.min(state.requests, answers.length - 1)];
    state.requests += 1;
    if (answer === 'cut') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer ?? 500, { 'content-type': 'application/json' });
    response.end(
      answer === 201
        ? JSON.stringify({
            host_id: `hst_${randomBytes(16).toString('hex')}`,
            host_name: 'retrier',
            credential: `rexec_host_${randomBytes(32).toString('hex')}`,
          })
        : JSON.stringify({ error: 'not now', code: answer === 503 ? 'unavailable' : 'invalid' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  state.url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  return state;
}

void t.test('a cut connection and a 503 are retried until the credential comes', async (t) => {
  const server = await scriptedServer(t, ['cut', 503, 201]);
  const { log, lines } = capturedLog();
  const state = await enroll({ urls: [server.url], joinToken: 'join_x', hostName: 'retrier', log });
  t.equal(server.requests, 3, 'three attempts');
  t.match(state, { host_name: 'retrier', credential: /^rexec_host_/ });
  const retries = lines.filter((line) => line['msg'] === 'enrollment failed; retrying');
  t.equal(retries.length, 2, 'each failure logged once, with its delay');
  t.match(retries[0], { err: { message: /cannot reach/ } });
  t.match(retries[1], { err: { message: /503: not now \(unavailable\)/ } });
});

void t.test('a refused connection is retried until told to stop', async (t) => {
  const { log, lines } = capturedLog();
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  // Port 1 on loopback: nothing listens, so every attempt is refused, as before a control plane runs.
  const enrolling = enroll({
    urls: [new URL('http://127.0.0.1:1/')],
    joinToken: 'join_x',
    hostName: 'retrier',
    log,
    signal: controller.signal,
  });
  while (!lines.some((line) => line['msg'] === 'enrollment failed; retrying')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  controller.abort();
  // Aborting proves the loop was still waiting to retry: a give-up would have settled otherwise.
  await t.rejects(enrolling, { name: 'AbortError' }, 'still retrying when told to stop');
  t.match(lines[0], { err: { message: /cannot reach http:\/\/127\.0\.0\.1:1\// } });
});

void t.test('a 400 is fatal at once: retrying cannot fix the request', async (t) => {
  const server = await scriptedServer(t, [400]);
  const { log } = capturedLog();
  await t.rejects(
    enroll({ urls: [server.url], joinToken: 'join_x', hostName: 'retrier', log }),
    AgentFatalError,
  );
  t.equal(server.requests, 1, 'asked once');
});
