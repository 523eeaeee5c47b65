// The command executor keeps results until the control plane acknowledges them, and re-sends them
// after the WELCOME of its next session (PROTOCOL.md §7 "Results are acknowledged"); with a
// control plane that does not acknowledge, it keeps none. On the real engine with removes of
// containers that do not exist, which succeed at once and touch nothing.
import { randomBytes } from 'node:crypto';
import type { AgentMessage } from '@rexec/protocol';
import { pino } from 'pino';
import t from 'tap';
import { createCommandExecutor } from '../../packages/agent/src/commands.js';
import { createCliRuntime } from '../../packages/agent/src/runtime/cli-runtime.js';
import { commandId, containerId, engineFor } from './agent-fixture.js';

type Result = Extract<AgentMessage, { type: 'AGENT_COMMAND_RESULT' }>;

void t.test('results not acknowledged are sent again after WELCOME', async (t) => {
  const hostId = `hst_${randomBytes(16).toString('hex')}`;
  const kind = await engineFor(t, hostId);
  const runtime = createCliRuntime({ kind, hostId, log: pino({ level: 'silent' }) });
  t.teardown(() => runtime.close());
  const sent: Result[] = [];
  const executor = createCommandExecutor({
    runtime,
    log: pino({ level: 'silent' }),
    send: (message) => {
      if (message.type === 'AGENT_COMMAND_RESULT') sent.push(message);
    },
  });
  const remove = (id: string) => {
    executor.handle({
      type: 'CONTROL_COMMAND',
      command_id: id,
      container_id: containerId(),
      command: { action: 'remove', remove_volume: false },
    });
  };
  const resent = () => {
    sent.length = 0;
    executor.welcomed(true);
    return sent.map((r) => ({ id: r.command_id, replayed: r.replayed }));
  };

  const [first, second, third] = [commandId(), commandId(), commandId()];
  remove(first);
  remove(second);
  while (sent.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  t.ok(
    sent.every((r) => r.ok && r.replayed === undefined),
    'sent once as they finished',
  );

  // The two removes run side by side and finish in either order; results are re-sent in the
  // order they were first sent.
  const finished = sent.map((r) => r.command_id);
  t.same(finished.toSorted(), [first, second].sort(), 'both finished');
  t.same(
    resent(),
    finished.map((id) => ({ id, replayed: true })),
    're-sent in the order they finished',
  );
  executor.acknowledge(first);
  t.same(resent(), [{ id: second, replayed: true }], 'an acknowledged result is not sent again');
  executor.acknowledge(second);
  t.same(resent(), [], 'nothing left once all are acknowledged');
  executor.acknowledge(commandId());
  t.pass('an acknowledgement for an unknown id is ignored');

  // A control plane that does not acknowledge: nothing is kept for it.
  executor.welcomed(false);
  sent.length = 0;
  remove(third);
  while (sent.length < 1) await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(resent(), [], 'a result finished under a control plane without acks is not kept');
});
