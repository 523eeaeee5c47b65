// The exec side of the real agent process: output never goes past the control plane's window and
// resumes with credit, EXIT follows the last frame and counts every byte, stdin arrives through
// frames and EOF, the per-container limit the START asks for is enforced, and a signal reaches
// the command. The control side is the terminal suites' scripted peer with automatic credit off.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeChannelFrame, FrameKind, type ControlExecStart } from '@rexec/protocol';
import t from 'tap';
import { createCliRuntime } from '../../../packages/agent/src/runtime/index.js';
import { writeState } from '../../../packages/agent/src/state.js';
import { startAgent } from '../../helpers/processes.js';
import { containerId, engineFor } from '../agent-fixture.js';
import { busyboxSpec, testLogger } from '../runtime/fixture.js';
import { startTerminalPeer } from '../terminal/terminal-peer.js';

const WINDOW = 65_536;
const OUTPUT = 200_000;

void t.test('the agent runs execs under credit, limits and signals', async (t) => {
  const peer = await startTerminalPeer(t);
  const kind = await engineFor(t, peer.hostId);
  const runtime = createCliRuntime({ kind, hostId: peer.hostId, log: testLogger() });
  const stateDir = await mkdtemp(join(tmpdir(), 'rexec-exec-agent-'));
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  await writeState(stateDir, {
    host_id: peer.hostId,
    host_name: 'worker-exec',
    credential: peer.credential,
  });
  const box = busyboxSpec({ containerId: containerId(), command: ['sleep', '86400'] });
  await runtime.createAndStart(box);
  await startAgent(t, {
    url: peer.url.href,
    hostName: 'worker-exec',
    stateDir,
    env: { REXEC_RUNTIME: kind },
  });
  const connection = await peer.nextConnection();
  await connection.next('AGENT_HELLO');
  connection.autoCredit = false;

  let nextExec = 0;
  const start = (channel: number, argv: string[], extra: Partial<ControlExecStart> = {}) => {
    nextExec += 1;
    connection.send({
      type: 'CONTROL_EXEC_START',
      channel,
      exec_id: `exe_${String(nextExec).padStart(32, '0')}`,
      container_id: box.containerId,
      argv,
      stdin: false,
      timeout_ms: 60_000,
      output_limit_bytes: 1_000_000,
      output_window_bytes: WINDOW,
      max_per_container: 2,
      ...extra,
    });
  };

  await t.test('output stops at the window and resumes with credit', async (t) => {
    start(1, ['sh', '-c', `head -c ${OUTPUT} /dev/zero | tr '\\0' x; echo end >&2`]);
    await connection.next('AGENT_EXEC_STARTED', (m) => m.channel === 1);
    await connection.waitOutput(1, new RegExp(`x{${WINDOW}}`));
    await sleep(500);
    t.equal(connection.outputBytes(1), WINDOW, 'nothing beyond the window without credit');
    t.notOk(
      connection.messages.some((m) => m.type === 'AGENT_EXEC_EXIT'),
      'no EXIT yet',
    );
    connection.send({ type: 'CONTROL_EXEC_CREDIT', channel: 1, bytes: 1_000_000 });
    const exit = await connection.next('AGENT_EXEC_EXIT', (m) => m.channel === 1);
    t.match(exit, { exit_code: 0, timed_out: false, stdout_bytes: OUTPUT, stderr_bytes: 4 });
    t.equal(connection.outputBytes(1), OUTPUT + 4, 'every byte came before EXIT');
  });

  await t.test('stdin arrives through frames and ends with EOF', async (t) => {
    start(2, ['wc', '-c'], { stdin: true });
    const started = await connection.next('AGENT_EXEC_STARTED', (m) => m.channel === 2);
    t.ok(started.input_window_bytes >= 1024);
    connection.socket.send(
      encodeChannelFrame(2, Buffer.from('twelve bytes'), FrameKind.EXEC_STDIN),
    );
    connection.send({ type: 'CONTROL_EXEC_STDIN_EOF', channel: 2 });
    const credit = await connection.next('AGENT_EXEC_CREDIT', (m) => m.channel === 2);
    t.equal(credit.bytes, 12, 'written stdin is credited back');
    connection.send({ type: 'CONTROL_EXEC_CREDIT', channel: 2, bytes: WINDOW });
    await connection.next('AGENT_EXEC_EXIT', (m) => m.channel === 2);
    t.match(connection.output(2), /^\s*12\s*$/);
  });

  await t.test('the per-container limit holds and a signal ends a command', async (t) => {
    start(3, ['sleep', '300']);
    start(4, ['sleep', '301']);
    await connection.next('AGENT_EXEC_STARTED', (m) => m.channel === 4);
    start(5, ['true']);
    const refused = await connection.next('AGENT_EXEC_ERROR', (m) => m.channel === 5);
    t.equal(refused.code, 'too_many_execs');
    connection.send({ type: 'CONTROL_EXEC_SIGNAL', channel: 3, signal: 'TERM' });
    connection.send({ type: 'CONTROL_EXEC_SIGNAL', channel: 4, signal: 'KILL' });
    const termed = await connection.next('AGENT_EXEC_EXIT', (m) => m.channel === 3);
    const killed = await connection.next('AGENT_EXEC_EXIT', (m) => m.channel === 4);
    t.equal(termed.exit_code, 143, 'TERM: 128 + 15');
    t.equal(killed.exit_code, 137, 'KILL: 128 + 9');
  });

  await t.test('a signal that comes before its command exists waits for it', async (t) => {
    // The command hides from signals for two seconds (its marker unset), as a command does that the
    // engine has not started yet, then becomes `sleep 300` with the marker back.
    const hidden =
      'id=$REXEC_EXEC_ID; exec env -u REXEC_EXEC_ID sh -c ' +
      '"echo hidden; sleep 2; exec env REXEC_EXEC_ID=$id sleep 300"';
    start(6, ['sh', '-c', hidden], { timeout_ms: 30_000 });
    await connection.waitOutput(6, /hidden/);
    connection.send({ type: 'CONTROL_EXEC_SIGNAL', channel: 6, signal: 'KILL' });
    const exit = await connection.next('AGENT_EXEC_EXIT', (m) => m.channel === 6);
    t.equal(exit.timed_out, false, 'the signal ended it, not the timeout');
    t.equal(exit.exit_code, 137, 'KILL: 128 + 9');
  });
});
