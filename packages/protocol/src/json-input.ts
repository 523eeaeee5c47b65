// Turns what a socket hands over (text, bytes, or an already parsed value) into a JSON value,
// refusing oversized input before parsing it and invalid UTF-8 or JSON without throwing.
// Validating the value's shape is decode.ts's job.
import { decodeFailure, decodeSuccess, type DecodeResult } from './result.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

/**
 * `raw` may be a string (a text frame), a Uint8Array or ArrayBuffer (a frame's bytes; Node's
 * Buffer is a Uint8Array), or any other value, taken as already parsed JSON.
 */
export function readJson(raw: unknown, maxBytes: number): DecodeResult<unknown> {
  if (typeof raw === 'string') return parseText(raw, maxBytes);
  if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
    if (bytes.byteLength > maxBytes) return tooLarge(bytes.byteLength, maxBytes);
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      // The decoder's error says nothing more than "invalid UTF-8"; the result says it for us.
      return decodeFailure([{ path: '', message: 'message is not valid UTF-8' }]);
    }
    return parseText(text, maxBytes);
  }
  return decodeSuccess(raw);
}

function parseText(text: string, maxBytes: number): DecodeResult<unknown> {
  // A UTF-16 unit is at least one UTF-8 byte and at most three: only the middle ground needs counting.
  if (text.length > maxBytes) return tooLarge(text.length, maxBytes, 'at least ');
  if (text.length * 3 > maxBytes) {
    const bytes = ENCODER.encode(text).byteLength;
    if (bytes > maxBytes) return tooLarge(bytes, maxBytes);
  }
  try {
    return decodeSuccess(JSON.parse(text) as unknown);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return decodeFailure([{ path: '', message: `message is not valid JSON: ${reason}` }]);
  }
}

function tooLarge(bytes: number, maxBytes: number, qualifier = ''): DecodeResult<never> {
  return decodeFailure([
    { path: '', message: `message is ${qualifier}${bytes} bytes, over the ${maxBytes}-byte limit` },
  ]);
}
