// The agent's execs (PROTOCOL.md §9a): a START becomes an ExecProcess after the per-container limit
// the control plane asked for is checked (across every socket, so it holds across replicas).
// Channels belong to one agent socket: when it closes nobody can read the output any more, so its
// execs are killed. One exec's pipes, credit and timeout are exec-process.ts's.
import type { ControlMessage } from '@rexec/protocol';
import type { Logger } from 'pino';
import { ExecProcess, type ExecLink } from './exec-process.js';
import { signalExec } from './exec-signal.js';

export type ControlExecMessage = Extract<ControlMessage, { type: `CONTROL_EXEC_${string}` }>;

export interface ExecConnection {
  /** Acts on a message; returns a protocol violation to close the socket with, else null. */
  handle(message: ControlExecMessage): string | null;
  /** Stdin bytes for `channel`; data for an unknown or ended channel is dropped. */
  input(channel: number, payload: Uint8Array): void;
  /** The socket closed: every exec it started is killed. */
  close(): void;
}

export interface ExecManager {
  connect(link: ExecLink): ExecConnection;
  /** Kills every exec; starts after this are refused. */
  shutdown(): void;
  readonly running: number;
}

export function createExecManager(options: { binary: string; log: Logger }): ExecManager {
  const { binary, log } = options;
  const all = new Set<ExecProcess>();
  let stopped = false;

  const countFor = (containerId: string) =>
    [...all].filter((exec) => exec.containerId === containerId).length;

  function connect(link: ExecLink): ExecConnection {
    const channels = new Map<number, ExecProcess>();
    let closed = false;

    function start(message: Extract<ControlExecMessage, { type: 'CONTROL_EXEC_START' }>) {
      const refuse = (code: string, text: string) =>
        link.send({ type: 'AGENT_EXEC_ERROR', channel: message.channel, code, message: text });
      if (stopped) return refuse('exec_failed', 'the agent is shutting down');
      if (countFor(message.container_id) >= message.max_per_container) {
        return refuse(
          'too_many_execs',
          `container ${message.container_id} already runs ${message.max_per_container} commands`,
        );
      }
      const target = {
        containerId: message.container_id,
        execId: message.exec_id,
        user: message.user,
      };
      const execLog = log.child({ container_id: message.container_id, exec_id: message.exec_id });
      let exec: ExecProcess;
      try {
        exec = new ExecProcess({
          binary,
          start: message,
          link,
          log: execLog,
          signal: (signal) => signalExec(binary, target, signal),
          onEnd: () => {
            all.delete(exec);
            if (channels.get(message.channel) === exec) channels.delete(message.channel);
          },
        });
      } catch (error) {
        execLog.error({ err: error }, 'could not start an exec');
        return refuse('exec_failed', `could not run ${binary} exec`);
      }
      all.add(exec);
      channels.set(message.channel, exec);
      return undefined;
    }

    return {
      handle(message) {
        if (closed) return null;
        const exec = channels.get(message.channel);
        switch (message.type) {
          case 'CONTROL_EXEC_START':
            if (exec !== undefined) return `exec channel ${message.channel} is already open`;
            start(message);
            return null;
          case 'CONTROL_EXEC_CREDIT':
            exec?.credit(message.bytes);
            return null;
          case 'CONTROL_EXEC_STDIN_EOF':
            exec?.endInput();
            return null;
          case 'CONTROL_EXEC_SIGNAL':
            // A signal for an ended exec crossed its end on the wire: nothing to do.
            exec?.signal(message.signal);
            return null;
        }
      },
      input(channel, payload) {
        if (!closed) channels.get(channel)?.input(payload);
      },
      close() {
        if (closed) return;
        closed = true;
        for (const exec of channels.values()) exec.abandon();
        channels.clear();
      },
    };
  }

  return {
    connect,
    shutdown() {
      stopped = true;
      for (const exec of all) exec.kill();
    },
    get running() {
      return all.size;
    },
  };
}
