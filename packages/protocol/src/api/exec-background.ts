// REST bodies of background execs (DESIGN §8.1): the 202 of a started one, its status, and the
// signal route's body. The socket that streams its output is exec-stream/frames.ts.
import { z } from 'zod';
import { ExecId, ExecSignal } from '../agent/exec-relay.js';
import { Timestamp } from './common.js';

/** 202 of `POST /containers/:id/exec` with `background: true`. */
export const ExecStarted = z.object({
  exec_id: ExecId,
  status: z.literal('running'),
});
export type ExecStarted = z.infer<typeof ExecStarted>;

/** `GET /containers/:id/exec/:exec_id`; `exit_code` and `ended_at` once it exited. */
export const ExecStatus = z.object({
  exec_id: ExecId,
  status: z.enum(['running', 'exited']),
  /** Null when its timeout killed it. */
  exit_code: z.int().min(0).max(255).nullable().optional(),
  timed_out: z.boolean(),
  /** Output produced so far, both streams together: the offset a stream would end at. */
  output_bytes: z.int().nonnegative(),
  started_at: Timestamp,
  ended_at: Timestamp.optional(),
});
export type ExecStatus = z.infer<typeof ExecStatus>;

/** `POST /containers/:id/exec/:exec_id/signal`. */
export const ExecSignalRequest = z.strictObject({ signal: ExecSignal });
export type ExecSignalRequest = z.infer<typeof ExecSignalRequest>;
