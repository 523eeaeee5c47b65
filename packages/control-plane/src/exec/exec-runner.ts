// Runs one command to completion for `POST /containers/:id/exec` (DESIGN §8.1): opens an exec
// channel on the host's agent session, sends CONTROL_EXEC_START with the limits this control plane
// is configured with, collects both streams (the agent stops sending a stream at the output limit,
// so memory here is bounded by it), grants credit as output arrives, and turns EXIT into the REST
// result. The route has already checked the caller, the container and its host.
import { randomBytes } from 'node:crypto';
import {
  TERMINAL_WINDOW_BYTES,
  type AgentExecExit,
  type ExecRequest,
  type ExecResult,
} from '@rexec/protocol';
import {
  hostUnavailable,
  internal,
  invalidState,
  notFound,
  RexecError,
  tooManyExecs,
} from '../errors.js';
import type { ExecEndpoint, ExecStream } from '../hub/exec-channels.js';
import type { Hub } from '../hub/hub.js';
import type { Log } from '../hub/log.js';
import { InputQueue } from '../terminal/input-queue.js';
import { outputText } from './output-text.js';
import { NO_ACTIVITY, type ActivitySink } from '../activity/activity-tracker.js';

/** How long past the exec's own timeout the control plane waits for the agent's EXIT. */
const EXIT_MARGIN_MS = 30_000;

export interface ExecRunnerOptions {
  /** REXEC_EXEC_OUTPUT_LIMIT_KB in bytes: kept per stream. */
  outputLimitBytes: number;
  /** REXEC_EXEC_MAX_CONCURRENT: execs one container may run at once. */
  maxPerContainer: number;
}

export interface ExecTarget {
  hostId: string;
  containerId: string;
}

export interface ExecRunner {
  /** Resolves with the finished command; rejects with a RexecError. `signal` aborts (and kills). */
  run(target: ExecTarget, request: ExecRequest, signal: AbortSignal): Promise<ExecResult>;
}

export function createExecRunner(deps: {
  hub: Pick<Hub, 'openExec'>;
  log: Log;
  options: ExecRunnerOptions;
  /** Where running execs are reported as activity (the idle stop's); nowhere when absent. */
  activity?: ActivitySink;
}): ExecRunner {
  const { hub, log, options } = deps;
  const activity = deps.activity ?? NO_ACTIVITY;
  return {
    run(target, request, signal) {
      // Active from the start until the caller has its answer, however long the command runs.
      const release = activity.hold(target.containerId);
      return new Promise<ExecResult>((resolve, reject) => {
        const captured = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
        const startedMs = Date.now();
        let settled = false;
        const stdin = new InputQueue();
        let eofSent = request.stdin === undefined;
        if (request.stdin !== undefined) stdin.push(Buffer.from(request.stdin, 'utf8'));
        const sendStdin = (grant: number) => {
          stdin.grant(grant);
          stdin.drain((chunk) => link?.sendData(chunk));
          if (!eofSent && stdin.queuedBytes === 0 && link !== undefined) {
            eofSent = true;
            link.send({ type: 'CONTROL_EXEC_STDIN_EOF', channel: link.channel });
          }
        };
        // Answers the caller once; the channel may stay open after that (see onAbort).
        const settle = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          outcome();
        };
        const finish = (outcome: () => void) => {
          settle(outcome);
          link?.release();
        };
        const endpoint: ExecEndpoint = {
          data(stream: ExecStream, payload: Uint8Array) {
            if (!settled) captured[stream].push(Buffer.from(payload));
            // Output is kept here (or dropped once nobody waits), so it is consumed on arrival;
            // withholding credit would leave the agent's pipes paused and the exec never ending.
            link?.send({
              type: 'CONTROL_EXEC_CREDIT',
              channel: link.channel,
              bytes: payload.byteLength,
            });
          },
          message(message) {
            switch (message.type) {
              case 'AGENT_EXEC_STARTED':
                sendStdin(message.input_window_bytes);
                return;
              case 'AGENT_EXEC_CREDIT':
                sendStdin(message.bytes);
                return;
              case 'AGENT_EXEC_EXIT':
                finish(() => resolve(result(message, captured, startedMs, options)));
                return;
              case 'AGENT_EXEC_ERROR':
                finish(() => reject(execError(message.code, message.message)));
                return;
              case 'AGENT_EXEC_ATTACHED':
              case 'AGENT_EXEC_STATUS':
                // Answers to ATTACH and QUERY, which this runner never sends.
                return;
            }
          },
          sessionEnded() {
            finish(() => reject(hostUnavailable(target.hostId)));
          },
        };
        const link = hub.openExec(target.hostId, endpoint);
        if (link === undefined) {
          reject(hostUnavailable(target.hostId));
          return;
        }
        // The channel stays open until EXIT so the killed command's last output is still credited.
        const onAbort = () => {
          link.send({ type: 'CONTROL_EXEC_SIGNAL', channel: link.channel, signal: 'KILL' });
          settle(() => reject(new RexecError('invalid_request', 'The client went away.')));
        };
        signal.addEventListener('abort', onAbort);
        const timeoutMs = request.timeout_seconds * 1000;
        const timer = setTimeout(() => {
          log.error({ container_id: target.containerId }, 'no exec EXIT from the agent in time');
          link.send({ type: 'CONTROL_EXEC_SIGNAL', channel: link.channel, signal: 'KILL' });
          finish(() => reject(internal('The agent did not report the end of the command.')));
        }, timeoutMs + EXIT_MARGIN_MS);
        link.send({
          type: 'CONTROL_EXEC_START',
          channel: link.channel,
          exec_id: `exe_${randomBytes(16).toString('hex')}`,
          container_id: target.containerId,
          argv: request.argv ?? ['/bin/sh', '-c', request.command ?? ''],
          ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
          ...(request.env === undefined ? {} : { env: request.env }),
          ...(request.user === undefined ? {} : { user: request.user }),
          stdin: request.stdin !== undefined,
          timeout_ms: timeoutMs,
          output_limit_bytes: options.outputLimitBytes,
          output_window_bytes: TERMINAL_WINDOW_BYTES,
          max_per_container: options.maxPerContainer,
        });
        if (signal.aborted) onAbort();
      }).finally(release);
    },
  };
}

export function execError(code: string, message: string): RexecError {
  switch (code) {
    case 'too_many_execs':
      return tooManyExecs(`${message}; wait for one to finish.`);
    case 'container_not_running':
      return invalidState('The container is not running.', 'stopped');
    case 'exec_not_found':
      return notFound('exec');
    default:
      return internal(`The agent could not run the command (${code}): ${message}`);
  }
}

function result(
  exit: AgentExecExit,
  captured: { stdout: Buffer[]; stderr: Buffer[] },
  startedMs: number,
  options: ExecRunnerOptions,
): ExecResult {
  const stdoutBytes = Buffer.concat(captured.stdout).subarray(0, options.outputLimitBytes);
  const stderrBytes = Buffer.concat(captured.stderr).subarray(0, options.outputLimitBytes);
  const stdoutTruncated = exit.stdout_bytes > stdoutBytes.byteLength;
  const stderrTruncated = exit.stderr_bytes > stderrBytes.byteLength;
  const stdout = outputText(stdoutBytes, stdoutTruncated);
  const stderr = outputText(stderrBytes, stderrTruncated);
  return {
    exit_code: exit.timed_out ? null : exit.exit_code,
    stdout: stdout.text,
    stderr: stderr.text,
    ...(stdout.base64 === undefined ? {} : { stdout_base64: stdout.base64 }),
    ...(stderr.base64 === undefined ? {} : { stderr_base64: stderr.base64 }),
    stdout_truncated: stdoutTruncated,
    stderr_truncated: stderrTruncated,
    timed_out: exit.timed_out,
    duration_ms: Math.max(0, Date.now() - startedMs),
  };
}
