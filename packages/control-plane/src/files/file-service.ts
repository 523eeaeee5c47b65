// Runs one file operation (DESIGN §8.2) on a host's agent over a file channel (PROTOCOL.md §9c).
// Bodies stream both ways and are never held whole: an upload is read from the request only as
// fast as the agent grants credit, and a download's bytes are credited back only once the HTTP
// response has taken them, so memory per transfer is bounded by the windows. Which container
// and whether the caller may touch it is the route's business.
import { Readable } from 'node:stream';
import {
  FILE_WINDOW_BYTES,
  MAX_TERMINAL_CHUNK_BYTES,
  type AgentFileDone,
  type FileEntry,
  type FileOp,
} from '@rexec/protocol';
import { hostUnavailable, internal, unavailable, type RexecError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { AgentFileMessage, FileEndpoint, FileLink } from '../hub/file-channels.js';
import type { Log } from '../hub/log.js';
import { fileError } from './file-errors.js';
import { NO_ACTIVITY, type ActivitySink } from '../activity/activity-tracker.js';

/** A metadata operation that takes longer than this is given up (the agent kills it at 60 s). */
const META_TIMEOUT_MS = 90_000;

export interface FileTarget {
  hostId: string;
  containerId: string;
}

export interface ReadStarted {
  /** The file (for `read`); absent for tar streams. */
  entry?: FileEntry;
  /** The bytes; destroyed with an error if the transfer breaks after it started. */
  body: Readable;
}

export interface FileService {
  /** REXEC_MAX_UPLOAD_MB in bytes. */
  readonly maxUploadBytes: number;
  /** list, stat, remove, mkdir, move: resolves with the agent's DONE. */
  meta(target: FileTarget, op: FileOp): Promise<AgentFileDone>;
  /** read, read_tar: resolves once the agent found the path, with the bytes to stream. */
  read(target: FileTarget, op: FileOp, signal: AbortSignal): Promise<ReadStarted>;
  /** write, write_tar: streams `body` to the agent and resolves with its DONE. */
  write(
    target: FileTarget,
    op: FileOp,
    body: Readable,
    signal: AbortSignal,
  ): Promise<AgentFileDone>;
}

interface Channel {
  link: FileLink;
  /** Settles with DONE, or rejects with the REST error for ERROR or a lost session. */
  done: Promise<AgentFileDone>;
  ready: Promise<Extract<AgentFileMessage, { type: 'AGENT_FILE_READY' }>>;
  onData(handler: (payload: Uint8Array) => void): void;
  onCredit(handler: (bytes: number) => void): void;
}

function openChannel(
  hub: Pick<Hub, 'openFile'>,
  activity: ActivitySink,
  target: FileTarget,
  op: FileOp,
): Channel {
  let resolveDone!: (done: AgentFileDone) => void;
  let rejectDone!: (error: RexecError) => void;
  const done = new Promise<AgentFileDone>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let resolveReady!: (ready: Extract<AgentFileMessage, { type: 'AGENT_FILE_READY' }>) => void;
  const ready = new Promise<Extract<AgentFileMessage, { type: 'AGENT_FILE_READY' }>>(
    (resolve, reject) => {
      resolveReady = resolve;
      done.catch(reject);
    },
  );
  // Whoever awaits only one of them must not leave the other as an unhandled rejection.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  let data: (payload: Uint8Array) => void = () => undefined;
  let credit: (bytes: number) => void = () => undefined;
  const endpoint: FileEndpoint = {
    message(message) {
      switch (message.type) {
        case 'AGENT_FILE_READY':
          resolveReady(message);
          return;
        case 'AGENT_FILE_CREDIT':
          credit(message.bytes);
          return;
        case 'AGENT_FILE_DONE':
          resolveDone(message);
          return;
        case 'AGENT_FILE_ERROR':
          rejectDone(fileError(message.code, message.message, target.hostId));
          return;
      }
    },
    data: (payload) => data(payload),
    sessionEnded: () => rejectDone(hostUnavailable(target.hostId)),
  };
  const link = hub.openFile(target.hostId, endpoint);
  if (link === undefined) throw hostUnavailable(target.hostId);
  if (link === 'unsupported') {
    throw unavailable(
      "The container's host runs an agent without file support; upgrade its rexec-agent.",
    );
  }
  link.send({
    type: 'CONTROL_FILE_OPEN',
    channel: link.channel,
    container_id: target.containerId,
    op,
    output_window_bytes: FILE_WINDOW_BYTES,
  });
  // A transfer in progress is activity in the container until it ends, however long it takes.
  const release = activity.hold(target.containerId);
  void done.then(
    () => {
      release();
      link.release();
    },
    () => {
      release();
      link.release();
    },
  );
  return {
    link,
    done,
    ready,
    onData: (handler) => (data = handler),
    onCredit: (handler) => (credit = handler),
  };
}

export function createFileService(deps: {
  hub: Pick<Hub, 'openFile'>;
  log: Log;
  options: { maxUploadBytes: number };
  /** Where transfers are reported as activity (the idle stop's); nowhere when absent. */
  activity?: ActivitySink;
}): FileService {
  const { hub, log } = deps;
  const activity = deps.activity ?? NO_ACTIVITY;
  return {
    maxUploadBytes: deps.options.maxUploadBytes,
    async meta(target, op) {
      const channel = openChannel(hub, activity, target, op);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          channel.link.send({ type: 'CONTROL_FILE_CANCEL', channel: channel.link.channel });
          reject(internal(`The agent did not finish ${op.kind} in time.`));
        }, META_TIMEOUT_MS);
      });
      try {
        return await Promise.race([channel.done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async read(target, op, signal) {
      const channel = openChannel(hub, activity, target, op);
      const { link } = channel;
      let owed = 0;
      const grant = () => {
        if (owed === 0) return;
        link.send({ type: 'CONTROL_FILE_CREDIT', channel: link.channel, bytes: owed });
        owed = 0;
      };
      const body = new Readable({
        // Credit withheld while the response is full is what pauses the agent's cp.
        highWaterMark: FILE_WINDOW_BYTES,
        read: grant,
        destroy(error, callback) {
          if (!ended) link.send({ type: 'CONTROL_FILE_CANCEL', channel: link.channel });
          callback(error);
        },
      });
      let ended = false;
      // Until the reply pipes it, nobody listens; the reply sees a break through its own listener.
      body.on('error', () => undefined);
      channel.onData((payload) => {
        owed += payload.byteLength;
        // Grants of an eighth of the window; the rest when the reply asks for more (read()).
        // A view of the frame ws received (its own buffer, never reused), not a copy.
        const chunk = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        if (body.push(chunk) && owed >= FILE_WINDOW_BYTES / 8) grant();
      });
      channel.done.then(
        () => {
          ended = true;
          body.push(null);
        },
        (error: unknown) => {
          ended = true;
          log.warn({ err: error, container_id: target.containerId }, 'a download broke off');
          body.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
      const onAbort = () => body.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      channel.done
        .finally(() => signal.removeEventListener('abort', onAbort))
        .catch(() => undefined);
      try {
        const ready = await channel.ready;
        return { ...(ready.entry === undefined ? {} : { entry: ready.entry }), body };
      } catch (error) {
        body.destroy();
        throw error;
      }
    },

    async write(target, op, source, signal) {
      const channel = openChannel(hub, activity, target, op);
      const { link } = channel;
      const onAbort = () => link.send({ type: 'CONTROL_FILE_CANCEL', channel: link.channel });
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const ready = await Promise.race([channel.ready, channel.done]);
        if (!('input_window_bytes' in ready) || ready.type !== 'AGENT_FILE_READY') {
          return await channel.done;
        }
        await pump(source, channel, ready.input_window_bytes ?? FILE_WINDOW_BYTES);
        return await channel.done;
      } finally {
        signal.removeEventListener('abort', onAbort);
        // Anything the agent refused early is not read: let the request end on its own.
        source.resume();
      }
    },
  };
}

/** Sends the body in frames within the agent's credit; stops early when the channel ends. */
async function pump(source: Readable, channel: Channel, window: number): Promise<void> {
  const { link } = channel;
  let credit = window;
  let waiting: (() => void) | null = null;
  let over = false;
  channel.onCredit((bytes) => {
    credit += bytes;
    waiting?.();
  });
  channel.done.then(
    () => (over = true),
    () => (over = true),
  );
  const settled = channel.done.then(
    () => undefined,
    () => undefined,
  );
  settled.finally(() => waiting?.()).catch(() => undefined);
  // Not destroyed on an early end: the request must stay open for the error answer.
  for await (const chunk of source.iterator({ destroyOnReturn: false })) {
    const bytes = chunk as Buffer;
    for (let at = 0; at < bytes.byteLength && !over;) {
      while (credit <= 0 && !over) {
        await new Promise<void>((resolve) => (waiting = resolve));
        waiting = null;
      }
      if (over) break;
      const size = Math.min(MAX_TERMINAL_CHUNK_BYTES, credit, bytes.byteLength - at);
      link.sendData(bytes.subarray(at, at + size));
      credit -= size;
      at += size;
    }
    if (over) return;
  }
  link.send({ type: 'CONTROL_FILE_EOF', channel: link.channel });
}
