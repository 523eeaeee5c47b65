// The exec stream socket (`GET /containers/:id/exec/:exec_id/stream`, DESIGN §8.1, PROTOCOL.md
// §10b): its subprotocol, the `?offset=` query, the one-byte stream tag of output frames, and the
// JSON control frames each way. Relaying them to the agent is the control plane's.
import { z } from 'zod';
import { MAX_TERMINAL_CONTROL_BYTES } from '../constants.js';
import { decodeWith, encodeWith } from '../decode.js';
import { HumanMessage, SnakeCode } from '../fields.js';
import type { DecodeResult } from '../result.js';
import { ExecOffset } from '../agent/exec-attach.js';
import { ExecSignal } from '../agent/exec-relay.js';

/** WebSocket subprotocol of an exec stream (browsers add `rexec.token.<token>` as for terminals). */
export const EXEC_STREAM_SUBPROTOCOL = 'rexec.exec.v1';

/** Byte 0 of a server binary frame: which stream the rest of the frame belongs to. */
export const ExecStreamTag = { STDOUT: 1, STDERR: 2 } as const;
export type ExecStreamTag = (typeof ExecStreamTag)[keyof typeof ExecStreamTag];

/** Query of the stream route: where to start reading, in bytes of both streams together. */
export const ExecStreamQuery = z.object({
  offset: z
    .string()
    .regex(/^[0-9]{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(ExecOffset)
    .optional()
    .transform((value) => value ?? 0),
});
export type ExecStreamQuery = z.output<typeof ExecStreamQuery>;

export const ExecStdinEof = z.object({ type: z.literal('stdin_eof') });
export type ExecStdinEof = z.infer<typeof ExecStdinEof>;

export const ExecSignalFrame = z.object({ type: z.literal('signal'), signal: ExecSignal });
export type ExecSignalFrame = z.infer<typeof ExecSignalFrame>;

export const ExecStreamClientMessage = z.discriminatedUnion('type', [
  ExecStdinEof,
  ExecSignalFrame,
]);
export type ExecStreamClientMessage = z.infer<typeof ExecStreamClientMessage>;

/** Output follows from `offset`; `truncated_before` when the asked offset was already dropped. */
export const ExecStreamReady = z.object({
  type: z.literal('ready'),
  offset: ExecOffset,
  truncated_before: ExecOffset.optional(),
});
export type ExecStreamReady = z.infer<typeof ExecStreamReady>;

/** The command ended and all its output was sent; `code` is null when its timeout killed it. */
export const ExecStreamExit = z.object({
  type: z.literal('exit'),
  code: z.int().min(0).max(255).nullable(),
});
export type ExecStreamExit = z.infer<typeof ExecStreamExit>;

export const ExecStreamError = z.object({
  type: z.literal('error'),
  code: SnakeCode,
  message: HumanMessage,
});
export type ExecStreamError = z.infer<typeof ExecStreamError>;

export const ExecStreamServerMessage = z.discriminatedUnion('type', [
  ExecStreamReady,
  ExecStreamExit,
  ExecStreamError,
]);
export type ExecStreamServerMessage = z.infer<typeof ExecStreamServerMessage>;

/** Decodes a JSON control frame an exec stream client sent (control plane side). Never throws. */
export function decodeExecStreamClientMessage(raw: unknown): DecodeResult<ExecStreamClientMessage> {
  return decodeWith(ExecStreamClientMessage, raw, MAX_TERMINAL_CONTROL_BYTES);
}

/** Decodes a JSON control frame the exec stream server sent (client side). Never throws. */
export function decodeExecStreamServerMessage(raw: unknown): DecodeResult<ExecStreamServerMessage> {
  return decodeWith(ExecStreamServerMessage, raw, MAX_TERMINAL_CONTROL_BYTES);
}

export function encodeExecStreamClientMessage(message: ExecStreamClientMessage): string {
  return encodeWith(
    ExecStreamClientMessage,
    'exec client frame',
    message,
    MAX_TERMINAL_CONTROL_BYTES,
  );
}

export function encodeExecStreamServerMessage(message: ExecStreamServerMessage): string {
  return encodeWith(
    ExecStreamServerMessage,
    'exec server frame',
    message,
    MAX_TERMINAL_CONTROL_BYTES,
  );
}
