// Terminals and execs through a replica that does not hold the host's agent socket: two replicas
// on one Postgres sharing REXEC_CLUSTER_SECRET, the agent on B, the user on A. The shell answers,
// resizes and resumes with its scrollback through A, and execs run through A with their exit
// codes, background ones too (started, streamed with stdin, queried and signalled); B refuses forwarded work without a good signature or with one it has seen; a replica
// without the secret says why it cannot forward (at startup and to the user); and when B dies the
// user's socket ends with session_lost. Before forwarding, A answered all of it 503.
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import t from 'tap';
import { CloseCode, TERMINAL_SUBPROTOCOL, type Container } from '@rexec/protocol';
import { RexecClient } from '@rexec/sdk/node';
import { TerminalClient, TerminalRefused } from '../control-plane/terminal/terminal-client.js';
import { startControlPlane } from '../helpers/processes.js';
import { freePort, rejectionOf } from '../helpers/net.js';
import { callApi } from '../helpers/rest.js';
import {
  forwardKey,
  signForward,
} from '../../packages/control-plane/src/terminal/forward-signature.js';
import type { Fleet } from './fleet.js';
import { startReplicaPair } from './replica-pair.js';
import { run, runUntil } from './shell-lines.js';

function connect(url: string, fleet: Fleet, box: Container, session: string, size = {}) {
  return TerminalClient.connect(url, box.id, {
    token: fleet.controlPlane.adminToken,
    session,
    ...size,
  });
}

/** Upgrades to the holder's forwarding path with `header`; 101 when it opened (then closed). */
function forwardStatus(holderUrl: string, header: string): Promise<number> {
  const ws = new WebSocket(
    `${holderUrl.replace(/^http/, 'ws')}/internal/v1/terminal`,
    TERMINAL_SUBPROTOCOL,
    {
      headers: { 'x-rexec-forward': header },
    },
  );
  return new Promise<number>((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', reject);
  });
}

void t.test('terminals and execs through the replica without the agent socket', async (t) => {
  const pair = await startReplicaPair(t, 'e2e-forward');
  const { fleet, holder, secret, box, hostId } = pair;
  const viaA = fleet.controlPlane.url;

  const first = await connect(viaA, fleet, box, 'fwd', { cols: 90, rows: 30 });
  t.same(await first.next('ready'), { type: 'ready', session: 'fwd', resumed: false });
  t.match(await run(first, 'echo fwd-$((6*7))', /fwd-42/), /fwd-42/, 'the shell answers');
  t.match(await run(first, 'stty size', /30 90/), /30 90/, 'the size from the query');
  first.control({ type: 'resize', cols: 120, rows: 40 });
  t.match(await runUntil(first, 'stty size', /40 120/), /40 120/, 'a resize reaches the shell');
  await run(first, 'echo mark-$((100+23))', /mark-123/);
  first.ws.terminate();

  const again = await connect(viaA, fleet, box, 'fwd');
  t.same(await again.next('ready'), { type: 'ready', session: 'fwd', resumed: true });
  await again.until(() => again.tail(1 << 20).includes('mark-123'), 20_000, 'the scrollback');
  t.pass('the same shell resumes through A with its scrollback');

  // B takes forwarded terminals only with a good signature, and each signature once.
  t.equal(await forwardStatus(holder.url, 'v1.0.e30.AAAA'), 401, 'a forged signature is refused');
  const signed = signForward(forwardKey(secret), {
    containerId: box.id,
    hostId: hostId,
    userId: 'usr_test',
    tokenId: 'tok_test',
    session: 'signed',
    cols: 80,
    rows: 24,
  });
  t.equal(await forwardStatus(holder.url, signed), 101, 'a good signature opens the terminal');
  t.equal(await forwardStatus(holder.url, signed), 401, 'the same signature again is a replay');

  // Execs through A run on B's agent, foreground and background: start, stream, status, signal.
  const exec = await fleet.api('POST', `/containers/${box.id}/exec`, {
    command: 'echo exec-$((6*7)); exit 3',
  });
  t.equal(exec.status, 200, 'an exec through A answers');
  t.match(exec.body, { exit_code: 3, stdout: 'exec-42\n', timed_out: false });
  const client = new RexecClient({ baseUrl: viaA, token: fleet.controlPlane.adminToken });
  const stream = await client.containers.execStream(box.id, {
    command: 'read line; echo got-$line; exit 4',
  });
  stream.write('bg-42\n');
  const output: Uint8Array[] = [];
  const reading = (async () => {
    for await (const chunk of stream.stdout) output.push(chunk);
  })();
  t.same(await stream.wait(), { exitCode: 4 }, 'a background exec streams through A');
  await reading;
  t.equal(Buffer.concat(output).toString(), 'got-bg-42\n', 'stdin and stdout both ways');
  t.match(await client.containers.execStatus(box.id, stream.execId), {
    status: 'exited',
    exit_code: 4,
  });
  const sleeper = await fleet.api('POST', `/containers/${box.id}/exec`, {
    command: 'sleep 600',
    background: true,
  });
  t.equal(sleeper.status, 202, 'a background exec starts through A');
  const sleeperId = (sleeper.body as { exec_id: string }).exec_id;
  const signalled = await fleet.api('POST', `/containers/${box.id}/exec/${sleeperId}/signal`, {
    signal: 'KILL',
  });
  t.equal(signalled.status, 202, 'a signal through A');
  await fleet.waitFor('the signalled exec to end', async () => {
    const status = await fleet.api('GET', `/containers/${box.id}/exec/${sleeperId}`);
    return (status.body as { status?: string }).status === 'exited' ? true : undefined;
  });
  t.pass('and it ends');
  const unknown = await fleet.api('GET', `/containers/${box.id}/exec/exe_${'0'.repeat(32)}`);
  t.equal(unknown.status, 404, 'the holder’s 404 for an unknown exec comes through');
  const forgedBackground = await fetch(`${holder.url}/internal/v1/background-exec`, {
    method: 'POST',
    headers: {
      'content-type': 'application/vnd.rexec.forwarded-exec-background+json',
      'x-rexec-forward': 'v1.0.e30.AAAA',
    },
    body: JSON.stringify({ action: 'query', exec_id: sleeperId }),
  });
  t.equal(forgedBackground.status, 401, 'a forged background call is refused');
  const forgedExec = await fetch(`${holder.url}/internal/v1/exec`, {
    method: 'POST',
    headers: {
      'content-type': 'application/vnd.rexec.forwarded-exec+json',
      'x-rexec-forward': 'v1.0.e30.AAAA',
    },
    body: JSON.stringify({ command: 'id' }),
  });
  t.equal(forgedExec.status, 401, 'a forged exec is refused');
  const signedBody = JSON.stringify({ command: 'echo signed' });
  const execHeader = signForward(forwardKey(secret), {
    containerId: box.id,
    hostId: hostId,
    bodySha256: createHash('sha256').update(signedBody).digest('hex'),
  });
  const postSigned = (body: string) =>
    fetch(`${holder.url}/internal/v1/exec`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.rexec.forwarded-exec+json',
        'x-rexec-forward': execHeader,
      },
      body,
    });
  t.equal(
    (await postSigned(JSON.stringify({ command: 'id' }))).status,
    401,
    'another body is refused',
  );
  const signedRun = await postSigned(signedBody);
  t.equal(signedRun.status, 200, 'the signed body runs');
  t.match(await signedRun.json(), { stdout: 'signed\n' });
  t.equal((await postSigned(signedBody)).status, 401, 'and runs once');

  // A holder that cannot be reached: its advertised URL names a port nobody listens on. (B
  // rewrites its row every 10 s; the requests follow the change within milliseconds.)
  await pair.setHolderUrl(`http://127.0.0.1:${await freePort()}`);
  const [unreachableTerminal, unreachableExec] = await Promise.all([
    rejectionOf(connect(viaA, fleet, box, 'unreachable'), TerminalRefused),
    fleet.api('POST', `/containers/${box.id}/exec`, { command: 'true' }),
  ]);
  await pair.setHolderUrl(holder.url);
  t.equal(unreachableTerminal.status, 503, 'a terminal to an unreachable holder is refused');
  t.match(unreachableTerminal.body, { code: 'host_unavailable', error: /could not be reached/ });
  t.equal(unreachableExec.status, 503, 'an exec to an unreachable holder is refused');
  t.match(unreachableExec.body, { code: 'host_unavailable', error: /could not be reached/ });

  // A replica without the secret says why it cannot forward.
  const bare = await startControlPlane(t, {
    env: {
      REXEC_DATABASE_URL: fleet.databaseUrl,
      REXEC_BOOTSTRAP_ADMIN_TOKEN: fleet.controlPlane.adminToken,
    },
  });
  await fleet.waitFor('the startup error about the secret', () =>
    Promise.resolve(bare.output().includes('REXEC_CLUSTER_SECRET is not set') ? true : undefined),
  );
  t.pass('its startup says the secret is missing while other replicas run');
  const refused = await rejectionOf(connect(bare.url, fleet, box, 'bare'), TerminalRefused);
  t.equal(refused.status, 503, 'refused before the handshake');
  t.match(refused.body, { code: 'unavailable', error: /REXEC_CLUSTER_SECRET/ });
  const bareExec = await callApi(
    bare.url,
    fleet.controlPlane.adminToken,
    'POST',
    `/containers/${box.id}/exec`,
    {
      command: 'true',
    },
  );
  t.equal(bareExec.status, 503);
  t.match(bareExec.body, { code: 'unavailable', error: /REXEC_CLUSTER_SECRET/ });

  // The holder dies: the forwarded terminal ends as a lost session, to be resumed elsewhere.
  holder.process.kill('SIGKILL');
  t.match(await again.next('error'), { code: 'session_lost' });
  t.equal((await again.closed).code, CloseCode.SESSION_LOST);
});
