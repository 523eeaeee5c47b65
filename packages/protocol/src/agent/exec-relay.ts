// JSON messages that run one command (an exec) over the agent socket, both directions. Output is
// binary frames with a channel header whose kind names the stream (channel-frame.ts). Exec channels
// are numbered by the control plane like terminal channels, in their own number space: every exec
// message and frame kind says which kind of channel it is about. The REST bodies are api/exec.ts.
import { z } from 'zod';
import { ContainerId, Timestamp } from '../api/common.js';
import { TERMINAL_WINDOW_BYTES } from '../constants.js';
import { HumanMessage, SnakeCode } from '../fields.js';
import { ChannelId } from './terminal-relay.js';

/** Signals a client may send an exec; each goes to every process the exec started. */
export const EXEC_SIGNALS = ['TERM', 'KILL', 'INT', 'HUP'] as const;
export const ExecSignal = z.enum(EXEC_SIGNALS);
export type ExecSignal = z.infer<typeof ExecSignal>;

/** `exe_` + 32 hex, minted by the control plane; also the marker of the exec's processes. */
export const ExecId = z
  .string()
  .regex(/^exe_[0-9a-f]{32}$/, 'must be an id of the form exe_<32 hex>');
export type ExecId = z.infer<typeof ExecId>;

const Credit = z
  .int()
  .min(1)
  .max(TERMINAL_WINDOW_BYTES * 64);
const Window = z
  .int()
  .min(1024)
  .max(TERMINAL_WINDOW_BYTES * 64);

/** Environment variable names as POSIX shells accept them. */
export const EnvName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)');

/** A user inside the container: a name or uid, optionally `:group`, as `<engine> exec --user`. */
export const ExecUser = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(:[A-Za-z0-9_][A-Za-z0-9._-]*)?$/, 'must be user[:group]');

/** An absolute path without NUL. */
export const ExecCwd = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^\/[^\0]*$/, 'must be an absolute path');

/** The largest single argument or environment value (Linux allows 128 KiB; half is plenty). */
export const MAX_EXEC_ARG_BYTES = 64 * 1024;

/** Start a command in a running container; its output follows as exec frames under credit. */
export const ControlExecStart = z.object({
  type: z.literal('CONTROL_EXEC_START'),
  channel: ChannelId,
  exec_id: ExecId,
  container_id: ContainerId,
  /** Run directly (no shell); `command` strings are sent as ["/bin/sh", "-c", command]. */
  argv: z.array(z.string().max(MAX_EXEC_ARG_BYTES)).min(1).max(4096),
  cwd: ExecCwd.optional(),
  env: z.record(EnvName, z.string().max(MAX_EXEC_ARG_BYTES)).optional(),
  user: ExecUser.optional(),
  /**
   * True: stdin follows as EXEC_STDIN frames within the agent's input window, ended by
   * CONTROL_EXEC_STDIN_EOF. False: the command's stdin is empty.
   */
  stdin: z.boolean(),
  /** After this the agent kills every process of the exec and reports `timed_out`. */
  timeout_ms: z.int().min(1).max(3_600_000),
  /** Per stream: bytes beyond this are counted, not sent. */
  output_limit_bytes: z
    .int()
    .min(0)
    .max(1024 * 1024 * 1024),
  /** Output bytes the agent may send on this channel before it needs credit. */
  output_window_bytes: Window,
  /** The agent refuses with `too_many_execs` when the container already runs this many. */
  max_per_container: z.int().min(1).max(4096),
  /**
   * Present: a background exec (exec-attach.ts). It outlives this channel and the socket; its
   * output goes to a ring of `buffer_bytes` that attached channels read under their own credit,
   * and its result is kept `grace_ms` after it ends. stdin is always open (`-i`); the `stdin`
   * flag then says whether this channel sends stdin and EOF before it detaches.
   * `output_limit_bytes` does not apply.
   */
  background: z
    .object({
      buffer_bytes: z
        .int()
        .min(1024)
        .max(1024 * 1024 * 1024),
      grace_ms: z
        .int()
        .min(0)
        .max(7 * 24 * 3_600_000),
    })
    .optional(),
});
export type ControlExecStart = z.infer<typeof ControlExecStart>;

/** Deliver a signal to every process of the exec (its whole process tree in the container). */
export const ControlExecSignal = z.object({
  type: z.literal('CONTROL_EXEC_SIGNAL'),
  channel: ChannelId,
  signal: ExecSignal,
});
export type ControlExecSignal = z.infer<typeof ControlExecSignal>;

/** No more stdin: the agent closes the command's stdin once what came before is written. */
export const ControlExecStdinEof = z.object({
  type: z.literal('CONTROL_EXEC_STDIN_EOF'),
  channel: ChannelId,
});
export type ControlExecStdinEof = z.infer<typeof ControlExecStdinEof>;

/** The control plane consumed `bytes` of output: the agent may send that many more. */
export const ControlExecCredit = z.object({
  type: z.literal('CONTROL_EXEC_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type ControlExecCredit = z.infer<typeof ControlExecCredit>;

/** The command started (the engine's exec client is running). */
export const AgentExecStarted = z.object({
  type: z.literal('AGENT_EXEC_STARTED'),
  channel: ChannelId,
  exec_id: ExecId,
  started_at: Timestamp,
  /** Stdin bytes the control plane may send before it needs credit. */
  input_window_bytes: Window,
});
export type AgentExecStarted = z.infer<typeof AgentExecStarted>;

/**
 * The command ended, after all its output frames. `exit_code` is null when it was killed on
 * timeout; a signal death is 128 + the signal number, as the engine reports it. The channel ends.
 */
export const AgentExecExit = z.object({
  type: z.literal('AGENT_EXEC_EXIT'),
  channel: ChannelId,
  exec_id: ExecId,
  exit_code: z.int().min(0).max(255).nullable(),
  timed_out: z.boolean(),
  /** Everything the streams produced, including bytes beyond output_limit_bytes. */
  stdout_bytes: z.int().nonnegative(),
  stderr_bytes: z.int().nonnegative(),
  started_at: Timestamp,
  ended_at: Timestamp,
});
export type AgentExecExit = z.infer<typeof AgentExecExit>;

/** The agent wrote `bytes` of stdin to the command: the control plane may send that many more. */
export const AgentExecCredit = z.object({
  type: z.literal('AGENT_EXEC_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type AgentExecCredit = z.infer<typeof AgentExecCredit>;

/** Known exec error codes; the set is open. */
export const EXEC_ERROR_CODES = [
  'container_not_running',
  'too_many_execs',
  'exec_not_found',
  'exec_failed',
  'internal',
] as const;
export type KnownExecErrorCode = (typeof EXEC_ERROR_CODES)[number];

/** The exec could not start, or ended abnormally. The channel ends. */
export const AgentExecError = z.object({
  type: z.literal('AGENT_EXEC_ERROR'),
  channel: ChannelId,
  code: SnakeCode,
  message: HumanMessage,
});
export type AgentExecError = z.infer<typeof AgentExecError>;
