// The socket edge: decode inbound messages into results (never throwing on bad input) and encode
// outbound ones through the same schemas. One decode/encode pair per socket direction; what to do
// with a failed decode (close code, log line, error frame) is the caller's.
import type { z } from 'zod';
import { AgentMessage } from './agent/agent-messages.js';
import { ControlMessage } from './agent/control-messages.js';
import { MAX_AGENT_MESSAGE_BYTES, MAX_TERMINAL_CONTROL_BYTES } from './constants.js';
import { readJson } from './json-input.js';
import {
  decodeFailure,
  decodeSuccess,
  issuesFromZod,
  type DecodeIssue,
  type DecodeResult,
} from './result.js';
import { TerminalClientMessage, TerminalServerMessage } from './terminal/frames.js';

/**
 * Thrown when an outbound message does not match its schema or is over the size limit. That is a
 * bug in the sender, never the peer's fault, so it is an exception rather than a result.
 */
export class ProtocolEncodeError extends Error {
  readonly issues: readonly DecodeIssue[];

  constructor(what: string, issues: readonly DecodeIssue[]) {
    const first = issues[0];
    const where = first === undefined || first.path === '' ? '' : `${first.path}: `;
    super(`refusing to send an invalid ${what}: ${where}${first?.message ?? 'invalid'}`);
    this.name = 'ProtocolEncodeError';
    this.issues = issues;
  }
}

export function decodeWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  maxBytes: number,
): DecodeResult<z.output<S>> {
  const json = readJson(raw, maxBytes);
  if (!json.ok) return json;
  const parsed = schema.safeParse(json.value);
  return parsed.success
    ? decodeSuccess(parsed.data)
    : decodeFailure(issuesFromZod(parsed.error.issues, json.value));
}

// TextEncoder rather than Buffer: the protocol package also runs outside Node (the SDK).
const ENCODER = new TextEncoder();

function checkedSize(what: string, text: string, maxBytes: number): string {
  // A UTF-16 unit is at most three UTF-8 bytes: short texts need no counting at all.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = ENCODER.encode(text).byteLength;
  if (bytes > maxBytes) {
    throw new ProtocolEncodeError(what, [
      { path: '', message: `message is ${bytes} bytes, over the ${maxBytes}-byte limit` },
    ]);
  }
  return text;
}

export function encodeWith<S extends z.ZodType>(
  schema: S,
  what: string,
  message: z.input<S>,
  maxBytes: number,
): string {
  const parsed = schema.safeParse(message);
  if (!parsed.success)
    throw new ProtocolEncodeError(what, issuesFromZod(parsed.error.issues, message));
  return checkedSize(what, JSON.stringify(parsed.data), maxBytes);
}

/**
 * Decodes a message an agent sent (control plane side). `raw` is a text frame's string, its bytes
 * (Uint8Array, ArrayBuffer or Buffer), or an already parsed value. Never throws.
 */
export function decodeAgentMessage(raw: unknown): DecodeResult<AgentMessage> {
  return decodeWith(AgentMessage, raw, MAX_AGENT_MESSAGE_BYTES);
}

/** Decodes a message the control plane sent (agent side). Never throws. */
export function decodeControlMessage(raw: unknown): DecodeResult<ControlMessage> {
  return decodeWith(ControlMessage, raw, MAX_AGENT_MESSAGE_BYTES);
}

/** Decodes a JSON control frame a terminal client sent (control plane side). Never throws. */
export function decodeTerminalClientMessage(raw: unknown): DecodeResult<TerminalClientMessage> {
  return decodeWith(TerminalClientMessage, raw, MAX_TERMINAL_CONTROL_BYTES);
}

/** Decodes a JSON control frame the terminal server sent (client side). Never throws. */
export function decodeTerminalServerMessage(raw: unknown): DecodeResult<TerminalServerMessage> {
  return decodeWith(TerminalServerMessage, raw, MAX_TERMINAL_CONTROL_BYTES);
}

/**
 * The JSON text of an agent's message, validated by the same schema the control plane decodes
 * with. Throws ProtocolEncodeError when the message is invalid (a bug in the agent).
 */
export function encodeAgentMessage(message: AgentMessage): string {
  return encodeWith(AgentMessage, 'agent message', message, MAX_AGENT_MESSAGE_BYTES);
}

/** The JSON text of a control plane message. Throws ProtocolEncodeError when it is invalid. */
export function encodeControlMessage(message: ControlMessage): string {
  return encodeWith(ControlMessage, 'control message', message, MAX_AGENT_MESSAGE_BYTES);
}

/**
 * The JSON text of a control plane message that typed control plane code built itself, without
 * the schema check: the type already fixes its shape, and checking every command and heartbeat
 * ACK was a tenth of the control plane's CPU per placement. The size limit still holds. Messages
 * carrying anything not built by such code (free-form extras, values read from elsewhere) go
 * through encodeControlMessage. The text equals encodeControlMessage's for a valid message.
 * Throws ProtocolEncodeError when the message is over the size limit.
 */
export function encodeOwnControlMessage(message: ControlMessage): string {
  return checkedSize('control message', JSON.stringify(message), MAX_AGENT_MESSAGE_BYTES);
}

/** The JSON text of a terminal client frame. Throws ProtocolEncodeError when it is invalid. */
export function encodeTerminalClientMessage(message: TerminalClientMessage): string {
  return encodeWith(
    TerminalClientMessage,
    'terminal client frame',
    message,
    MAX_TERMINAL_CONTROL_BYTES,
  );
}

/** The JSON text of a terminal server frame. Throws ProtocolEncodeError when it is invalid. */
export function encodeTerminalServerMessage(message: TerminalServerMessage): string {
  return encodeWith(
    TerminalServerMessage,
    'terminal server frame',
    message,
    MAX_TERMINAL_CONTROL_BYTES,
  );
}
