// The binary frame of the agent socket: a 5-byte header (kind, then a big-endian 32-bit channel
// id) before the payload, so many terminals and execs share one socket. Pure functions on
// Uint8Array, so the package stays browser-safe; which channel means what is agreed by the
// terminal-relay and exec-relay messages.
import { MAX_TERMINAL_CHUNK_BYTES } from '../constants.js';
import { decodeFailure, decodeSuccess, type DecodeResult } from '../result.js';
import { MAX_CHANNEL_ID } from './terminal-relay.js';

/**
 * Byte 0 of a binary frame: terminal bytes (both directions), one of an exec's output streams
 * (agent → control plane) or an exec's stdin (control plane → agent). Other values are refused.
 */
export const FrameKind = {
  TERMINAL_DATA: 0x01,
  EXEC_STDOUT: 0x02,
  EXEC_STDERR: 0x03,
  EXEC_STDIN: 0x04,
  /** A file's bytes (or a tar stream): uploads cp → agent, downloads agent → cp (§9c). */
  FILE_DATA: 0x10,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KNOWN_KINDS: ReadonlySet<number> = new Set(Object.values(FrameKind));

export const CHANNEL_FRAME_HEADER_BYTES = 5;

export interface ChannelFrame {
  readonly kind: FrameKind;
  readonly channel: number;
  /** A view into the decoded buffer, not a copy: copy it if the buffer will be reused. */
  readonly payload: Uint8Array;
}

/**
 * Builds a data frame (terminal data unless `kind` says otherwise). Throws a RangeError on a
 * channel outside 1..2^32-1 or a payload that is empty or over MAX_TERMINAL_CHUNK_BYTES: callers
 * split output into chunks themselves.
 */
export function encodeChannelFrame(
  channel: number,
  payload: Uint8Array,
  kind: FrameKind = FrameKind.TERMINAL_DATA,
): Uint8Array {
  if (!Number.isInteger(channel) || channel < 1 || channel > MAX_CHANNEL_ID) {
    throw new RangeError(`channel must be an integer in 1..${MAX_CHANNEL_ID}, got ${channel}`);
  }
  if (payload.byteLength === 0 || payload.byteLength > MAX_TERMINAL_CHUNK_BYTES) {
    throw new RangeError(
      `payload must be 1..${MAX_TERMINAL_CHUNK_BYTES} bytes, got ${payload.byteLength}`,
    );
  }
  const frame = new Uint8Array(CHANNEL_FRAME_HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, channel, false);
  frame.set(payload, CHANNEL_FRAME_HEADER_BYTES);
  return frame;
}

/** Reads a binary frame; a truncated, empty, oversized or unknown-kind frame is an error result. */
export function decodeChannelFrame(raw: Uint8Array | ArrayBuffer): DecodeResult<ChannelFrame> {
  const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
  if (bytes.byteLength < CHANNEL_FRAME_HEADER_BYTES) {
    return decodeFailure([
      {
        path: '',
        message: `frame is truncated: ${bytes.byteLength} bytes, the header alone is ${CHANNEL_FRAME_HEADER_BYTES}`,
      },
    ]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint8(0) as FrameKind;
  if (!KNOWN_KINDS.has(kind)) {
    return decodeFailure([{ path: 'kind', message: `unknown frame kind 0x${hex(kind)}` }]);
  }
  const channel = view.getUint32(1, false);
  if (channel === 0) {
    return decodeFailure([{ path: 'channel', message: 'channel 0 is reserved' }]);
  }
  const payloadBytes = bytes.byteLength - CHANNEL_FRAME_HEADER_BYTES;
  if (payloadBytes === 0) {
    return decodeFailure([{ path: 'payload', message: 'a data frame carries at least one byte' }]);
  }
  if (payloadBytes > MAX_TERMINAL_CHUNK_BYTES) {
    return decodeFailure([
      {
        path: 'payload',
        message: `payload of ${payloadBytes} bytes is over the ${MAX_TERMINAL_CHUNK_BYTES}-byte limit`,
      },
    ]);
  }
  return decodeSuccess({
    kind,
    channel,
    payload: bytes.subarray(CHANNEL_FRAME_HEADER_BYTES),
  });
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
