// Background execs on the agent socket (PROTOCOL.md §9b): channels that attach to an exec started
// with CONTROL_EXEC_START `background`, read its output ring from an offset under credit, and
// leave it running when they detach; and one-shot queries of its status (optionally signalling it
// first). The exec itself, its stdin frames, credit and EXIT are exec-relay.ts's messages.
import { z } from 'zod';
import { ContainerId, Timestamp } from '../api/common.js';
import { TERMINAL_WINDOW_BYTES } from '../constants.js';
import { ExecId, ExecSignal } from './exec-relay.js';
import { ChannelId } from './terminal-relay.js';

/** A byte position in an exec's output: both streams counted together, in the order produced. */
export const ExecOffset = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

const Window = z
  .int()
  .min(1024)
  .max(TERMINAL_WINDOW_BYTES * 64);

/**
 * Attach this channel to a background exec: output from `offset` on (or from the oldest byte the
 * ring still holds) follows as exec frames, then AGENT_EXEC_EXIT once it ended and all was sent.
 */
export const ControlExecAttach = z.object({
  type: z.literal('CONTROL_EXEC_ATTACH'),
  channel: ChannelId,
  exec_id: ExecId,
  container_id: ContainerId,
  offset: ExecOffset,
  output_window_bytes: Window,
});
export type ControlExecAttach = z.infer<typeof ControlExecAttach>;

/** The channel's reader left: the agent forgets the channel and the exec carries on. */
export const ControlExecDetach = z.object({
  type: z.literal('CONTROL_EXEC_DETACH'),
  channel: ChannelId,
});
export type ControlExecDetach = z.infer<typeof ControlExecDetach>;

/** One AGENT_EXEC_STATUS answers on this channel, which then ends; `signal` is sent first. */
export const ControlExecQuery = z.object({
  type: z.literal('CONTROL_EXEC_QUERY'),
  channel: ChannelId,
  exec_id: ExecId,
  container_id: ContainerId,
  signal: ExecSignal.optional(),
});
export type ControlExecQuery = z.infer<typeof ControlExecQuery>;

/** ATTACH succeeded: output follows from `offset`. */
export const AgentExecAttached = z.object({
  type: z.literal('AGENT_EXEC_ATTACHED'),
  channel: ChannelId,
  exec_id: ExecId,
  /** Where the output that follows starts (the asked offset, or the oldest byte kept). */
  offset: ExecOffset,
  /** Set when the asked offset was older than the ring: output before this is gone. */
  truncated_before: ExecOffset.optional(),
  /** Stdin bytes the control plane may send before it needs credit. */
  input_window_bytes: Window,
});
export type AgentExecAttached = z.infer<typeof AgentExecAttached>;

/** A background exec's state, the answer to CONTROL_EXEC_QUERY. The channel ends. */
export const AgentExecStatus = z.object({
  type: z.literal('AGENT_EXEC_STATUS'),
  channel: ChannelId,
  exec_id: ExecId,
  status: z.enum(['running', 'exited']),
  /** Null while running, and when the timeout killed it. */
  exit_code: z.int().min(0).max(255).nullable(),
  timed_out: z.boolean(),
  /** Output produced so far, both streams together (the end offset). */
  output_bytes: ExecOffset,
  started_at: Timestamp,
  ended_at: Timestamp.nullable(),
});
export type AgentExecStatus = z.infer<typeof AgentExecStatus>;
