// The agent's file channels (PROTOCOL.md §9c): an OPEN becomes a read, an upload or a metadata
// operation, keyed by channel per agent socket. When the socket closes nobody can read or finish a
// transfer, so every open one is cancelled. What each operation does is its own file's.
import type { ControlMessage } from '@rexec/protocol';
import type { Logger } from 'pino';
import { startMeta } from './file-meta.js';
import { startRead, startReadTar } from './file-read.js';
import type { FileTask, TaskContext } from './file-task.js';
import { startWrite } from './file-write.js';
import type { FileLink } from './outbound.js';

export type ControlFileMessage = Extract<ControlMessage, { type: `CONTROL_FILE_${string}` }>;
type FileOpen = Extract<ControlFileMessage, { type: 'CONTROL_FILE_OPEN' }>;

export interface FileConnection {
  /** Acts on a message; returns a protocol violation to close the socket with, else null. */
  handle(message: ControlFileMessage): string | null;
  /** Upload bytes for `channel`; data for an unknown or ended channel is dropped. */
  input(channel: number, payload: Uint8Array): void;
  /** The socket closed: every open transfer is cancelled. */
  close(): void;
}

export interface FileManager {
  connect(link: FileLink): FileConnection;
  /** Cancels every transfer; opens after this are refused. */
  shutdown(): void;
  readonly open: number;
}

function start(context: TaskContext, message: FileOpen): FileTask {
  const { op } = message;
  switch (op.kind) {
    case 'read':
      return startRead(context, op);
    case 'read_tar':
      return startReadTar(context, op);
    case 'write':
    case 'write_tar':
      return startWrite(context, op);
    case 'list':
    case 'stat':
    case 'remove':
    case 'mkdir':
    case 'move':
      return startMeta(context, op);
  }
}

export interface FileManagerOptions {
  /** `podman` or `docker`. */
  binary: string;
  log: Logger;
  /** ContainerRuntime.repairLeftMount, run in the container's command queue. */
  repairStorage: (containerId: string, stderr: string) => Promise<boolean>;
}

export function createFileManager(options: FileManagerOptions): FileManager {
  const { binary, log, repairStorage } = options;
  const all = new Set<FileTask>();
  let stopped = false;

  function connect(link: FileLink): FileConnection {
    const channels = new Map<number, FileTask>();
    let closed = false;

    function open(message: FileOpen): void {
      if (stopped) {
        link.send({
          type: 'AGENT_FILE_ERROR',
          channel: message.channel,
          code: 'file_failed',
          message: 'the agent is shutting down',
        });
        return;
      }
      // A task may end while it starts (a refused upload); it is only kept while open.
      const holder: { task?: FileTask; ended: boolean } = { ended: false };
      const context: TaskContext = {
        binary,
        channel: message.channel,
        containerId: message.container_id,
        link,
        log: log.child({ container_id: message.container_id, op: message.op.kind }),
        outputWindowBytes: message.output_window_bytes,
        repairStorage: (stderr) => repairStorage(message.container_id, stderr),
        onEnd: () => {
          holder.ended = true;
          if (holder.task !== undefined) all.delete(holder.task);
          channels.delete(message.channel);
        },
      };
      const task = start(context, message);
      holder.task = task;
      if (holder.ended) return;
      all.add(task);
      channels.set(message.channel, task);
    }

    return {
      handle(message) {
        if (closed) return null;
        const task = channels.get(message.channel);
        switch (message.type) {
          case 'CONTROL_FILE_OPEN':
            if (task !== undefined) return `file channel ${message.channel} is already open`;
            open(message);
            return null;
          case 'CONTROL_FILE_CREDIT':
            task?.credit(message.bytes);
            return null;
          case 'CONTROL_FILE_EOF':
            task?.eof();
            return null;
          case 'CONTROL_FILE_CANCEL':
            task?.cancel();
            return null;
        }
      },
      input(channel, payload) {
        if (!closed) channels.get(channel)?.input(payload);
      },
      close() {
        if (closed) return;
        closed = true;
        const open = [...channels.values()];
        channels.clear();
        for (const task of open) task.cancel();
      },
    };
  }

  return {
    connect,
    shutdown() {
      stopped = true;
      for (const task of [...all]) task.cancel();
    },
    get open() {
      return all.size;
    },
  };
}
