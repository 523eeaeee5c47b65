// JSON messages that run a terminal over the agent socket, both directions. Terminal bytes are
// binary frames with a channel header (channel-frame.ts); the user's own socket is terminal/.
// Channels are numbered by the control plane, unique per agent connection and never reused on it.
import { z } from 'zod';
import { ContainerId } from '../api/common.js';
import { MAX_TERMINAL_DIMENSION, TERMINAL_WINDOW_BYTES } from '../constants.js';
import { HumanMessage, SnakeCode } from '../fields.js';
import { TerminalSessionId } from '../terminal/session.js';

/** Channel 0 is reserved; ids fit the 32-bit field of the binary frame header. */
export const MAX_CHANNEL_ID = 0xffff_ffff;
export const ChannelId = z.int().min(1).max(MAX_CHANNEL_ID);
export type ChannelId = z.infer<typeof ChannelId>;

const Dimension = z.int().min(1).max(MAX_TERMINAL_DIMENSION);
/** Credit is granted in positive steps, at most 64 windows at once so totals stay exact integers. */
const Credit = z
  .int()
  .min(1)
  .max(TERMINAL_WINDOW_BYTES * 64);
const Window = z
  .int()
  .min(1024)
  .max(TERMINAL_WINDOW_BYTES * 64);
const Shell = z
  .string()
  .max(255)
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path such as /bin/bash');

/** Attach to the named shell of a container, starting it if it does not exist yet. */
export const ControlTerminalOpen = z.object({
  type: z.literal('CONTROL_TERMINAL_OPEN'),
  channel: ChannelId,
  container_id: ContainerId,
  session: TerminalSessionId,
  cols: Dimension,
  rows: Dimension,
  /** Absent: the agent picks bash when the image has it, else sh. */
  shell: Shell.optional(),
  /** Output bytes the agent may send on this channel before it needs credit. */
  output_window_bytes: Window,
});
export type ControlTerminalOpen = z.infer<typeof ControlTerminalOpen>;

export const ControlTerminalResize = z.object({
  type: z.literal('CONTROL_TERMINAL_RESIZE'),
  channel: ChannelId,
  cols: Dimension,
  rows: Dimension,
});
export type ControlTerminalResize = z.infer<typeof ControlTerminalResize>;

/** `detach`: the client left, the shell keeps running for the grace period; `terminate`: kill it. */
export const ControlTerminalClose = z.object({
  type: z.literal('CONTROL_TERMINAL_CLOSE'),
  channel: ChannelId,
  mode: z.enum(['detach', 'terminate']),
});
export type ControlTerminalClose = z.infer<typeof ControlTerminalClose>;

/** The control plane delivered `bytes` of output to the user: the agent may send that many more. */
export const ControlTerminalCredit = z.object({
  type: z.literal('CONTROL_TERMINAL_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type ControlTerminalCredit = z.infer<typeof ControlTerminalCredit>;

/** The shell is attached; scrollback (when resumed) follows as ordinary data frames. */
export const AgentTerminalOpened = z.object({
  type: z.literal('AGENT_TERMINAL_OPENED'),
  channel: ChannelId,
  session: TerminalSessionId,
  resumed: z.boolean(),
  /** Input bytes the control plane may send on this channel before it needs credit. */
  input_window_bytes: Window,
});
export type AgentTerminalOpened = z.infer<typeof AgentTerminalOpened>;

/** The shell exited; a signal death is reported as 128 + the signal number. The channel ends. */
export const AgentTerminalExit = z.object({
  type: z.literal('AGENT_TERMINAL_EXIT'),
  channel: ChannelId,
  exit_code: z.int().min(0).max(255),
});
export type AgentTerminalExit = z.infer<typeof AgentTerminalExit>;

/** Known terminal error codes; the set is open. Each maps to a close code on the user's socket. */
export const TERMINAL_ERROR_CODES = [
  'session_lost',
  'session_replaced',
  'container_not_running',
  'container_stopped',
  'too_many_sessions',
  'shell_not_found',
  'exec_failed',
  'host_unavailable',
  'internal',
] as const;
export type KnownTerminalErrorCode = (typeof TERMINAL_ERROR_CODES)[number];

/** The channel could not open or ended abnormally (e.g. `session_replaced`). The channel ends. */
export const AgentTerminalError = z.object({
  type: z.literal('AGENT_TERMINAL_ERROR'),
  channel: ChannelId,
  code: SnakeCode,
  message: HumanMessage,
});
export type AgentTerminalError = z.infer<typeof AgentTerminalError>;

/** The agent wrote `bytes` of input to the PTY: the control plane may send that many more. */
export const AgentTerminalCredit = z.object({
  type: z.literal('AGENT_TERMINAL_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type AgentTerminalCredit = z.infer<typeof AgentTerminalCredit>;
