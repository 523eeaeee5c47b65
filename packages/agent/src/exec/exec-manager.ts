// The agent's execs (PROTOCOL.md §9a–b): a START becomes an ExecProcess after the per-container
// limit the control plane asked for is checked (across every socket, so it holds across replicas).
// Channels belong to one agent socket: when it closes nobody can read the output any more, so its
// execs are killed. Background execs belong to the agent instead: they outlive channels and
// sockets, channels attach to them, and each is kept for its grace period after it ends so its
// result can be read. One exec's pipes, credit and timeout are exec-process.ts's and
// background-exec.ts's.
import type { ControlMessage, ExecSignal } from '@rexec/protocol';
import type { Logger } from 'pino';
import { BackgroundExec } from './background-exec.js';
import { ExecAttachment } from './exec-attachment.js';
import { EXEC_INPUT_WINDOW_BYTES, ExecProcess, type ExecLink } from './exec-process.js';
import { signalExec } from './exec-signal.js';

export type ControlExecMessage = Extract<ControlMessage, { type: `CONTROL_EXEC_${string}` }>;

export interface ExecConnection {
  /** Acts on a message; returns a protocol violation to close the socket with, else null. */
  handle(message: ControlExecMessage): string | null;
  /** Stdin bytes for `channel`; data for an unknown or ended channel is dropped. */
  input(channel: number, payload: Uint8Array): void;
  /** The socket closed: every channel exec it started is killed; background execs carry on. */
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
  /** Every running exec, channel or background: what the per-container limit counts. */
  const all = new Set<ExecProcess | BackgroundExec>();
  /** Background execs by id, running or within their grace period. */
  const background = new Map<string, BackgroundExec>();
  const graceTimers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const countFor = (containerId: string) =>
    [...all].filter((exec) => exec.containerId === containerId).length;

  function connect(link: ExecLink): ExecConnection {
    const channels = new Map<number, ExecProcess | ExecAttachment>();
    let closed = false;

    const refuse = (channel: number, code: string, text: string) =>
      link.send({ type: 'AGENT_EXEC_ERROR', channel, code, message: text });

    /** The background exec `exec_id` of `container_id`, or undefined after refusing the channel. */
    function find(message: { channel: number; exec_id: string; container_id: string }) {
      const exec = background.get(message.exec_id);
      if (exec?.containerId === message.container_id) return exec;
      refuse(message.channel, 'exec_not_found', `no exec ${message.exec_id} in that container`);
      return undefined;
    }

    function attach(exec: BackgroundExec, channel: number, offset: number, windowBytes: number) {
      const reader = new ExecAttachment(channel, exec, link, offset, windowBytes, () => {
        if (channels.get(channel) === reader) channels.delete(channel);
      });
      channels.set(channel, reader);
      exec.attach(reader);
    }

    function startBackground(
      message: Extract<ControlExecMessage, { type: 'CONTROL_EXEC_START' }>,
      options: { buffer_bytes: number; grace_ms: number },
      signal: (signal: ExecSignal) => Promise<number>,
      execLog: Logger,
    ) {
      const exec = new BackgroundExec({
        binary,
        start: message,
        bufferBytes: options.buffer_bytes,
        log: execLog,
        signal,
        onExit: () => {
          all.delete(exec);
          const timer = setTimeout(() => {
            graceTimers.delete(timer);
            background.delete(exec.execId);
          }, options.grace_ms);
          graceTimers.add(timer);
        },
      });
      all.add(exec);
      background.set(exec.execId, exec);
      link.send({
        type: 'AGENT_EXEC_STARTED',
        channel: message.channel,
        exec_id: message.exec_id,
        started_at: exec.startedAt.toISOString(),
        input_window_bytes: EXEC_INPUT_WINDOW_BYTES,
      });
      attach(exec, message.channel, 0, message.output_window_bytes);
    }

    function start(message: Extract<ControlExecMessage, { type: 'CONTROL_EXEC_START' }>) {
      if (stopped) return refuse(message.channel, 'exec_failed', 'the agent is shutting down');
      if (countFor(message.container_id) >= message.max_per_container) {
        return refuse(
          message.channel,
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
      const signal = (sig: ExecSignal) => signalExec(binary, target, sig);
      if (message.background !== undefined) {
        try {
          startBackground(message, message.background, signal, execLog);
        } catch (error) {
          execLog.error({ err: error }, 'could not start a background exec');
          refuse(message.channel, 'exec_failed', `could not run ${binary} exec`);
        }
        return undefined;
      }
      let exec: ExecProcess;
      try {
        exec = new ExecProcess({
          binary,
          start: message,
          link,
          log: execLog,
          signal,
          onEnd: () => {
            all.delete(exec);
            if (channels.get(message.channel) === exec) channels.delete(message.channel);
          },
        });
      } catch (error) {
        execLog.error({ err: error }, 'could not start an exec');
        return refuse(message.channel, 'exec_failed', `could not run ${binary} exec`);
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
          case 'CONTROL_EXEC_ATTACH': {
            if (exec !== undefined) return `exec channel ${message.channel} is already open`;
            const target = find(message);
            if (target === undefined) return null;
            const { start: oldest, end } = target.ring;
            const offset = Math.min(Math.max(message.offset, oldest), end);
            link.send({
              type: 'AGENT_EXEC_ATTACHED',
              channel: message.channel,
              exec_id: message.exec_id,
              offset,
              ...(message.offset < oldest ? { truncated_before: oldest } : {}),
              input_window_bytes: EXEC_INPUT_WINDOW_BYTES,
            });
            attach(target, message.channel, offset, message.output_window_bytes);
            return null;
          }
          case 'CONTROL_EXEC_DETACH':
            // A channel exec has nobody else to read it: leaving it is abandoning it.
            if (exec instanceof ExecAttachment) exec.detach();
            else exec?.abandon();
            return null;
          case 'CONTROL_EXEC_QUERY': {
            const target = find(message);
            if (target === undefined) return null;
            if (message.signal !== undefined) target.signal(message.signal);
            link.send({
              type: 'AGENT_EXEC_STATUS',
              channel: message.channel,
              exec_id: target.execId,
              status: target.running ? 'running' : 'exited',
              exit_code: target.exit?.exit_code ?? null,
              timed_out: target.exit?.timed_out ?? false,
              output_bytes: target.ring.end,
              started_at: target.startedAt.toISOString(),
              ended_at: target.exit?.ended_at ?? null,
            });
            return null;
          }
        }
      },
      input(channel, payload) {
        if (!closed) channels.get(channel)?.input(payload);
      },
      close() {
        if (closed) return;
        closed = true;
        // Background execs carry on without their readers; channel execs die with the socket.
        for (const exec of [...channels.values()]) {
          if (exec instanceof ExecAttachment) exec.detach();
          else exec.abandon();
        }
        channels.clear();
      },
    };
  }

  return {
    connect,
    shutdown() {
      stopped = true;
      for (const exec of all) exec.kill();
      for (const timer of graceTimers) clearTimeout(timer);
      graceTimers.clear();
    },
    get running() {
      return all.size;
    },
  };
}
