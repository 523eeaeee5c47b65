// Terminals on the real fleet: a control plane process, a real agent running shells with
// `<engine> exec -it` under a PTY in busybox containers, and a real WebSocket client. Echo through
// both auth carriers, resize, drop and resume, 50 MB byte-exact with the control plane's memory
// bounded, the refusals before upgrade, malformed frames, a stop, and a killed agent.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CloseCode, UserCreated } from '@rexec/protocol';
import t from 'tap';
import { TerminalClient, TerminalRefused } from '../control-plane/terminal/terminal-client.js';
import { startFleet, type Fleet } from './fleet.js';
import { run, runUntil } from './shell-lines.js';
import { rejectionOf } from '../helpers/net.js';

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, TerminalRefused);

const BOX = { cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 };
const BULK_BYTES = 50 * 1024 * 1024;

async function runningBox(fleet: Fleet): Promise<string> {
  const box = await fleet.createBox(BOX);
  await fleet.containerStatus(box.id, 'running');
  return box.id;
}

function connect(
  fleet: Fleet,
  id: string,
  options: Partial<Parameters<typeof TerminalClient.connect>[2]> = {},
) {
  return TerminalClient.connect(fleet.controlPlane.url, id, {
    token: fleet.controlPlane.adminToken,
    ...options,
  });
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** Samples a process's RSS every 100 ms; stop() ends it and returns the peak growth in MB. */
async function rssPeak(pid: number | undefined, what: string): Promise<{ stop(): number }> {
  if (pid === undefined) throw new Error(`no ${what} pid`);
  const baseline = await rssKb(pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    void rssKb(pid).then((kb) => (peak = Math.max(peak, kb)));
  }, 100);
  return {
    stop() {
      clearInterval(sampler);
      return (peak - baseline) / 1024;
    },
  };
}

void t.test('terminals on the real fleet', async (t) => {
  const fleet = await startFleet(t);
  const { agent } = await fleet.joinAgent('e2e-terminal');
  const box = await runningBox(fleet);

  void t.test('echo round trip with header auth and with subprotocol auth', async (t) => {
    const viaHeader = await connect(fleet, box, { session: 'header' });
    t.same(await viaHeader.next('ready'), { type: 'ready', session: 'header', resumed: false });
    t.match(await run(viaHeader, 'echo $((6*7))', /\r?\n42\r?\n/), /42/);
    await viaHeader.close();
    const viaProtocol = await connect(fleet, box, { session: 'browser', auth: 'subprotocol' });
    t.equal(viaProtocol.ws.protocol, 'rexec.terminal.v1');
    await viaProtocol.next('ready');
    t.match(await run(viaProtocol, 'echo $((6*7))', /\r?\n42\r?\n/), /42/);
    await viaProtocol.close();
  });

  void t.test('resize reaches the shell', async (t) => {
    const client = await connect(fleet, box, { session: 'resize', cols: 90, rows: 30 });
    await client.next('ready');
    t.match(await run(client, 'stty size', /30 90/), /30 90/, 'the size from the query');
    client.control({ type: 'resize', cols: 132, rows: 50 });
    t.match(await runUntil(client, 'stty size', /50 132/), /50 132/, 'the size after resize');
    await client.close();
  });

  void t.test('drop and resume keeps the shell; a new session starts fresh', async (t) => {
    const first = await connect(fleet, box, { session: 'keep' });
    await first.next('ready');
    await run(first, 'mkdir -p /tmp/resume-check && cd /tmp/resume-check', /resume-check/);
    await run(first, 'echo marker-$((100+23))', /marker-123/);
    first.ws.terminate();
    const again = await connect(fleet, box, { session: 'keep' });
    t.same(await again.next('ready'), { type: 'ready', session: 'keep', resumed: true });
    await again.outputMatching(/marker-123/);
    t.pass('the scrollback holds the earlier output');
    t.match(await run(again, "pwd | sed 's/^/cwd=/'", /cwd=\/tmp/), /cwd=\/tmp\/resume-check/);
    await again.close();
    const fresh = await connect(fleet, box, { session: 'other' });
    t.same(await fresh.next('ready'), { type: 'ready', session: 'other', resumed: false });
    const cwd = await run(fresh, "pwd | sed 's/^/cwd=/'", /cwd=\/\S*/);
    t.notMatch(cwd, /resume-check/, 'a different session is a different shell');
    t.notMatch(fresh.text, /marker-123/);
    await fresh.close();
  });

  void t.test('50 MB through the terminal, byte-exact, memory bounded', async (t) => {
    const client = await connect(fleet, box, { session: 'bulk' });
    await client.next('ready');
    await run(
      client,
      `head -c ${BULK_BYTES} /dev/urandom > /tmp/big && echo made-$((1+1))`,
      /made-2/,
    );
    const expected = (
      await run(client, "sha256sum /tmp/big | sed 's/^/sum=/'", /sum=[0-9a-f]{64}/)
    ).match(/sum=([0-9a-f]{64})/)?.[1];
    // Raw output from here on, so the bytes arrive exactly as cat wrote them.
    await run(client, 'stty -echo -opost; echo raw-$((2+3))', /raw-5/);
    const controlPlane = await rssPeak(fleet.controlPlane.process.pid, 'control plane');
    const agentRss = await rssPeak(agent.process.pid, 'agent');
    const start = client.outputBytes;
    client.type('echo BEGIN_$((1+1)); cat /tmp/big; echo END_$((2+2))\n');
    // A slow reader: the client stops reading for one and then three seconds; the PTY must wait,
    // not buffer, on the agent as on the control plane.
    for (const [at, seconds] of [
      [10, 1],
      [30, 3],
    ] as const) {
      await client.until(() => client.outputBytes - start > at * 1024 * 1024, 120_000, `${at} MB`);
      client.ws.pause();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
      client.ws.resume();
    }
    await client.until(() => client.tail(16).includes('END_4'), 180_000, 'END_4');
    const growth = { controlPlane: controlPlane.stop(), agent: agentRss.stop() };
    const all = client.output.subarray(start);
    const begin = all.indexOf('BEGIN_2\n');
    const end = all.lastIndexOf('END_4');
    t.ok(begin >= 0 && end > begin, 'both markers arrived');
    const body = all.subarray(begin + 'BEGIN_2\n'.length, end);
    t.equal(body.byteLength, BULK_BYTES, 'byte count exact');
    t.equal(createHash('sha256').update(body).digest('hex'), expected, 'content exact');
    t.ok(
      growth.controlPlane < 200,
      `control plane RSS grew ${growth.controlPlane.toFixed(1)} MB (bound 200 MB)`,
    );
    t.ok(growth.agent < 200, `agent RSS grew ${growth.agent.toFixed(1)} MB (bound 200 MB)`);
    await client.close();
  });

  void t.test('refusals: wrong token 401, another user 404, stopped 409', async (t) => {
    const wrong = await refusal(connect(fleet, box, { token: `rexec_${'0'.repeat(64)}` }));
    t.equal(wrong.status, 401);
    const created = await fleet.api('POST', '/users', { name: 'mallory' });
    const mallory = UserCreated.parse(created.body);
    const other = await refusal(connect(fleet, box, { token: mallory.token }));
    t.equal(other.status, 404);
    t.match(other.body, { code: 'not_found' });
    const stopped = await runningBox(fleet);
    await fleet.api('POST', `/containers/${stopped}/stop`);
    await fleet.containerStatus(stopped, 'stopped');
    const notRunning = await refusal(connect(fleet, stopped));
    t.equal(notRunning.status, 409);
    t.match(notRunning.body, { code: 'invalid_state' });
  });

  void t.test('malformed control frames: invalid_frame, 4001, the shell kept', async (t) => {
    const client = await connect(fleet, box, { session: 'mangled' });
    await client.next('ready');
    await run(client, 'echo before-$((3*3))', /before-9/);
    client.ws.send('{"type":"resize","cols":"wide"}');
    t.match(await client.next('error'), { code: 'invalid_frame' });
    t.equal((await client.closed).code, CloseCode.PROTOCOL_VIOLATION);
    const again = await connect(fleet, box, { session: 'mangled' });
    t.match(await again.next('ready'), { resumed: true });
    t.match(await run(again, 'echo after-$((4*4))', /after-16/), /after-16/);
    await again.close();
  });

  void t.test('stopping the container closes its terminals with 4101', async (t) => {
    const doomed = await runningBox(fleet);
    const client = await connect(fleet, doomed);
    await client.next('ready');
    await run(client, 'echo up-$((5*5))', /up-25/);
    const stop = await fleet.api('POST', `/containers/${doomed}/stop`);
    t.equal(stop.status, 200);
    t.match(await client.next('error'), { code: 'container_stopped' });
    t.equal((await client.closed).code, CloseCode.CONTAINER_STOPPED);
  });

  void t.test('a killed agent ends its terminals with session_lost', async (t) => {
    const client = await connect(fleet, box, { session: 'lost' });
    await client.next('ready');
    agent.process.kill('SIGKILL');
    t.match(await client.next('error', 20_000), { code: 'session_lost' });
    t.equal((await client.closed).code, CloseCode.SESSION_LOST);
  });
});
