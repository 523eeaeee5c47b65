// JSON control frames on a user's terminal socket (binary frames there are raw terminal bytes,
// no header). One union per direction; the relay that turns them into agent messages is the
// control plane's.
import { z } from 'zod';
import { MAX_TERMINAL_DIMENSION } from '../constants.js';
import { HumanMessage, SnakeCode } from '../fields.js';
import { TerminalSessionId } from './session.js';

const Dimension = z.int().min(1).max(MAX_TERMINAL_DIMENSION);

export const TerminalResize = z.object({
  type: z.literal('resize'),
  cols: Dimension,
  rows: Dimension,
});
export type TerminalResize = z.infer<typeof TerminalResize>;

export const TerminalPing = z.object({ type: z.literal('ping') });
export type TerminalPing = z.infer<typeof TerminalPing>;

/**
 * The client cannot take output as fast as it comes (its terminal widget has a backlog): the server
 * stops passing credit to the agent, so the shell's output stops after at most one window more.
 * Output resumes on `resume`. A browser cannot push back through its WebSocket, so it says this.
 */
export const TerminalPause = z.object({ type: z.literal('pause') });
export type TerminalPause = z.infer<typeof TerminalPause>;

export const TerminalResume = z.object({ type: z.literal('resume') });
export type TerminalResume = z.infer<typeof TerminalResume>;

export const TerminalClientMessage = z.discriminatedUnion('type', [
  TerminalResize,
  TerminalPing,
  TerminalPause,
  TerminalResume,
]);
export type TerminalClientMessage = z.infer<typeof TerminalClientMessage>;

/** Always the first frame: the shell is attached; `resumed` means scrollback follows. */
export const TerminalReady = z.object({
  type: z.literal('ready'),
  session: TerminalSessionId,
  resumed: z.boolean(),
});
export type TerminalReady = z.infer<typeof TerminalReady>;

/** The shell exited with this code (128 + n for signal n); close SHELL_EXITED follows. */
export const TerminalExit = z.object({
  type: z.literal('exit'),
  code: z.int().min(0).max(255),
});
export type TerminalExit = z.infer<typeof TerminalExit>;

/** `code` is one of TERMINAL_ERROR_CODES or `invalid_frame`; a close usually follows. */
export const TerminalError = z.object({
  type: z.literal('error'),
  code: SnakeCode,
  message: HumanMessage,
});
export type TerminalError = z.infer<typeof TerminalError>;

export const TerminalPong = z.object({ type: z.literal('pong') });
export type TerminalPong = z.infer<typeof TerminalPong>;

export const TerminalServerMessage = z.discriminatedUnion('type', [
  TerminalReady,
  TerminalExit,
  TerminalError,
  TerminalPong,
]);
export type TerminalServerMessage = z.infer<typeof TerminalServerMessage>;
