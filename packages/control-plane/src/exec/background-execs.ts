// Background execs (DESIGN §8.1, PROTOCOL.md §9b) for the REST routes: start one (the start
// channel delivers the request's stdin, if any, then detaches, leaving the command running on the
// agent), and query one's status, optionally signalling it first. The agent holds the exec, its
// output ring and its result, so any replica connected to the host can answer. Streaming its output
// to a user's socket is exec-stream-connection.ts's.
import { randomBytes } from 'node:crypto';
import {
  TERMINAL_WINDOW_BYTES,
  type AgentExecStatus,
  type ExecRequest,
  type ExecSignal,
  type ExecStarted,
  type ExecStatus,
} from '@rexec/protocol';
import { hostUnavailable, internal } from '../errors.js';
import type { ExecEndpoint, ExecLink } from '../hub/exec-channels.js';
import type { Hub } from '../hub/hub.js';
import { InputQueue } from '../terminal/input-queue.js';
import { execError, type ExecTarget } from './exec-runner.js';
import { NO_ACTIVITY, type ActivitySink } from '../activity/activity-tracker.js';

/** How long the control plane waits for the agent's STARTED or STATUS. */
const ANSWER_TIMEOUT_MS = 30_000;

export interface BackgroundExecOptions {
  /** REXEC_EXEC_BUFFER_KB in bytes: the output the agent keeps for reattaching. */
  bufferBytes: number;
  /** REXEC_EXEC_GRACE_SECONDS in ms: how long the result is kept after the end. */
  graceMs: number;
  /** REXEC_EXEC_MAX_CONCURRENT. */
  maxPerContainer: number;
}

export interface BackgroundExecs {
  /** Starts the command and resolves once it runs; rejects with a RexecError. */
  start(target: ExecTarget, request: ExecRequest): Promise<ExecStarted>;
  /** The exec's status; with `signal`, after sending it. 404 for an unknown or expired exec. */
  query(target: ExecTarget, execId: string, signal?: ExecSignal): Promise<ExecStatus>;
}

export function createBackgroundExecs(deps: {
  hub: Pick<Hub, 'openExec'>;
  options: BackgroundExecOptions;
  /**
   * Where starts, and queries that find the command running, are reported as activity. The agent
   * runs a detached command unseen from here: a quiet one does not keep its container awake.
   */
  activity?: ActivitySink;
}): BackgroundExecs {
  const { hub, options } = deps;
  const activity = deps.activity ?? NO_ACTIVITY;

  /** Opens a channel and settles once; `onMessage` returns a value to resolve with, or nothing. */
  function exchange<T>(
    target: ExecTarget,
    handle: (message: Parameters<ExecEndpoint['message']>[0], link: ExecLink) => T | undefined,
    first: (link: ExecLink) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const endpoint: ExecEndpoint = {
        message(message) {
          if (message.type === 'AGENT_EXEC_ERROR') {
            link?.release();
            settle(() => reject(execError(message.code, message.message)));
            return;
          }
          if (link === undefined) return;
          const value = handle(message, link);
          if (value !== undefined) settle(() => resolve(value));
        },
        data(_stream, payload) {
          // The start channel reads nothing: output stays in the agent's ring for readers.
          link?.send({
            type: 'CONTROL_EXEC_CREDIT',
            channel: link.channel,
            bytes: payload.byteLength,
          });
        },
        sessionEnded() {
          settle(() => reject(hostUnavailable(target.hostId)));
        },
      };
      const link = hub.openExec(target.hostId, endpoint);
      if (link === undefined) {
        reject(hostUnavailable(target.hostId));
        return;
      }
      const timer = setTimeout(() => {
        link.release();
        settle(() => reject(internal('The agent did not answer about the command in time.')));
      }, ANSWER_TIMEOUT_MS);
      first(link);
    });
  }

  return {
    start(target, request) {
      activity.touch(target.containerId);
      const execId = `exe_${randomBytes(16).toString('hex')}`;
      const stdin = new InputQueue();
      const hasStdin = request.stdin !== undefined;
      if (request.stdin !== undefined) stdin.push(Buffer.from(request.stdin, 'utf8'));
      let done = false;
      const leave = (link: ExecLink) => {
        if (done) return;
        done = true;
        link.send({ type: 'CONTROL_EXEC_DETACH', channel: link.channel });
        link.release();
      };
      const feed = (link: ExecLink, grant: number) => {
        if (done) return;
        stdin.grant(grant);
        stdin.drain((chunk) => link.sendData(chunk));
        if (stdin.queuedBytes > 0) return;
        if (hasStdin) link.send({ type: 'CONTROL_EXEC_STDIN_EOF', channel: link.channel });
        leave(link);
      };
      return exchange<ExecStarted>(
        target,
        (message, link) => {
          switch (message.type) {
            case 'AGENT_EXEC_STARTED':
              feed(link, message.input_window_bytes);
              return { exec_id: execId, status: 'running' };
            case 'AGENT_EXEC_CREDIT':
              feed(link, message.bytes);
              return undefined;
            case 'AGENT_EXEC_EXIT':
              // It ended before its stdin was all written; the agent ended the channel.
              done = true;
              link.release();
              return undefined;
            case 'AGENT_EXEC_ATTACHED':
            case 'AGENT_EXEC_STATUS':
            case 'AGENT_EXEC_ERROR':
              return undefined;
          }
        },
        (link) =>
          link.send({
            type: 'CONTROL_EXEC_START',
            channel: link.channel,
            exec_id: execId,
            container_id: target.containerId,
            argv: request.argv ?? ['/bin/sh', '-c', request.command ?? ''],
            ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
            ...(request.env === undefined ? {} : { env: request.env }),
            ...(request.user === undefined ? {} : { user: request.user }),
            stdin: hasStdin,
            timeout_ms: request.timeout_seconds * 1000,
            output_limit_bytes: 0,
            output_window_bytes: TERMINAL_WINDOW_BYTES,
            max_per_container: options.maxPerContainer,
            background: { buffer_bytes: options.bufferBytes, grace_ms: options.graceMs },
          }),
      );
    },

    query(target, execId, signal) {
      return exchange<ExecStatus>(
        target,
        (message, link) => {
          if (message.type !== 'AGENT_EXEC_STATUS') return undefined;
          link.release();
          if (message.status === 'running') activity.touch(target.containerId);
          return statusBody(message);
        },
        (link) =>
          link.send({
            type: 'CONTROL_EXEC_QUERY',
            channel: link.channel,
            exec_id: execId,
            container_id: target.containerId,
            ...(signal === undefined ? {} : { signal }),
          }),
      );
    },
  };
}

/** The REST shape of an agent's STATUS: `exit_code` and `ended_at` only once it exited. */
export function statusBody(status: AgentExecStatus): ExecStatus {
  return {
    exec_id: status.exec_id,
    status: status.status,
    ...(status.status === 'exited' ? { exit_code: status.exit_code } : {}),
    timed_out: status.timed_out,
    output_bytes: status.output_bytes,
    started_at: status.started_at,
    ...(status.ended_at === null ? {} : { ended_at: status.ended_at }),
  };
}
