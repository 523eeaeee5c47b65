// The real agent process loses its socket in the middle of a create and lives on: it reconnects,
// and the same command id sent again on the new socket is answered from its replay cache
// (PROTOCOL.md §7 "Idempotent by command id"): the cached result, marked replayed, with nothing run
// again on the engine. The container is stopped between the two sends, so a create that ran again
// would start it (idempotent by container id) and be caught. The scripted peer announces no
// `result_ack`, so no unacknowledged re-send after WELCOME can stand in for the cache.
import type { ControlCommand } from '@rexec/protocol';
import t from 'tap';
import { engine } from '../helpers/engine.js';
import {
  commandId,
  containerId,
  createCommand,
  engineState,
  logLines,
  startPeerAndAgent,
  waitForCommandLog,
} from './agent-fixture.js';

void t.test(
  'a command re-sent after a socket drop is answered from the replay cache',
  async (t) => {
    const { peer, kind, agent } = await startPeerAndAgent(t, 'worker-replay-drop', {
      heartbeatIntervalMs: 1_000,
      heartbeatTimeoutMs: 60_000,
    });
    const first = await peer.nextConnection();
    await first.next('AGENT_HELLO');
    const id = containerId();
    const name = `rexec-${id}`;
    const create = createCommand(id);
    first.send(create);
    // Dropped once the agent has the create in hand (its own log says so), like a network failure:
    // no close frame, the agent only sees the TCP connection end.
    await waitForCommandLog(agent, 'command started', create.command_id);
    first.socket.terminate();
    t.equal((await first.closed).code, 1006, 'the socket dropped without a close frame');

    const second = await peer.nextConnection();
    await second.next('AGENT_HELLO');
    t.equal(agent.process.exitCode, null, 'the same agent process reconnected');
    await waitForCommandLog(agent, 'command finished', create.command_id);
    const engineId = (
      await engine(kind, ['container', 'inspect', '--format', '{{.Id}}', name])
    ).stdout.trim();

    // The container is stopped through the agent: a create executed again would start it.
    const stop: ControlCommand = {
      type: 'CONTROL_COMMAND',
      command_id: commandId(),
      container_id: id,
      command: { action: 'stop', timeout_seconds: 5 },
    };
    second.send(stop);
    const stopped = await second.next(
      'AGENT_COMMAND_RESULT',
      (m) => m.command_id === stop.command_id,
    );
    t.equal(stopped.ok && stopped.container.state, 'exited');

    // A result of the create that finished after the new WELCOME may already be here; the answer to
    // the re-send is the next one.
    const earlier = new Set(second.messages);
    second.send(create);
    const replay = await second.next(
      'AGENT_COMMAND_RESULT',
      (m) => m.command_id === create.command_id && !earlier.has(m),
    );
    t.equal(replay.replayed, true, 'marked replayed');
    t.equal(replay.ok, true, JSON.stringify(replay));
    if (!replay.ok) return;
    t.equal(replay.container.engine_id, engineId, 'the container the first execution made');
    t.equal(
      replay.container.state,
      'running',
      'the result as it was: the cache, not the engine now',
    );

    t.equal((await engineState(kind, name))?.status, 'exited', 'the create did not run again');
    const listed = await engine(kind, [
      'ps',
      '-aq',
      '--filter',
      `label=io.rexec.container-id=${id}`,
    ]);
    t.equal(listed.stdout.split('\n').filter((l) => l !== '').length, 1, 'exactly one container');
    const lines = logLines(agent.output());
    const executions = lines.filter(
      (line) => line['msg'] === 'command finished' && line['commandId'] === create.command_id,
    );
    t.equal(executions.length, 1, 'executed once');
    t.ok(
      lines.some(
        (line) =>
          line['msg'] === 'replayed command answered from the cache' &&
          line['commandId'] === create.command_id,
      ),
      'the agent says it answered from the cache',
    );
  },
);
