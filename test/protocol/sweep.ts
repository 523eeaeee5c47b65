// The checks every decoder gets for every example message: it decodes from text, bytes and
// parsed values; unknown fields are dropped; each missing, mistyped or oversized field is an error
// result naming its path, never an exception. Shared by the protocol suites; not a test itself.
import type { Test } from 'tap';
import type { DecodeResult } from '@rexec/protocol';
import { stringLeaves, withLeaf, type Example } from './examples.js';

type Decoder = (raw: unknown) => DecodeResult<unknown>;

/** Decodes without letting an exception escape unnoticed: a throw fails the calling test. */
export function decodeSafely(t: Test, decode: Decoder, raw: unknown): DecodeResult<unknown> {
  try {
    return decode(raw);
  } catch (error) {
    t.fail(`decoder threw instead of returning a result: ${String(error)}`);
    throw error;
  }
}

/** Asserts an error result with an issue at exactly `path`. */
export function assertErrorAt(t: Test, result: DecodeResult<unknown>, path: string, what: string) {
  if (result.ok) {
    t.fail(`${what}: decoded although it should not`);
    return;
  }
  const paths = result.error.issues.map((issue) => issue.path);
  t.ok(paths.includes(path), `${what}: an issue names "${path}"`, { found: paths });
  t.type(result.error.message, 'string');
}

function wrongTypeFor(value: unknown): unknown {
  return typeof value === 'string' ? 12345 : 'text';
}

export function sweepExamples(
  t: Test,
  decode: Decoder,
  examples: Record<string, Example<object>>,
  oversizedLength: number,
): void {
  for (const [type, { message, optional }] of Object.entries(examples)) {
    void t.test(`${type}: a valid example decodes from text, bytes and a parsed value`, (t) => {
      const text = JSON.stringify(message);
      for (const raw of [text, new TextEncoder().encode(text), structuredClone(message)]) {
        const result = decodeSafely(t, decode, raw);
        t.ok(result.ok, 'decoded', result.ok ? {} : { error: result.error });
        if (result.ok) t.same(result.value, message);
      }
      t.end();
    });

    void t.test(`${type}: unknown extra fields are ignored and dropped`, (t) => {
      const result = decodeSafely(t, decode, { ...message, added_in_a_later_release: { x: 1 } });
      t.ok(result.ok);
      if (result.ok) t.same(result.value, message);
      t.end();
    });

    void t.test(`${type}: a missing field is an error naming it, unless it is optional`, (t) => {
      for (const key of Object.keys(message)) {
        const result = decodeSafely(t, decode, withLeaf(message, [key], undefined));
        if (optional.includes(key)) t.ok(result.ok, `${key} may be left out`);
        else assertErrorAt(t, result, key, `without ${key}`);
      }
      t.end();
    });

    void t.test(`${type}: a field of the wrong type is an error naming it`, (t) => {
      for (const [key, value] of Object.entries(message)) {
        const result = decodeSafely(t, decode, withLeaf(message, [key], wrongTypeFor(value)));
        assertErrorAt(t, result, key, `${key} of the wrong type`);
      }
      t.end();
    });

    void t.test(`${type}: every string field refuses an oversized value at its path`, (t) => {
      const huge = 'a'.repeat(oversizedLength);
      for (const { path } of stringLeaves(message)) {
        const result = decodeSafely(t, decode, withLeaf(message, path, huge));
        assertErrorAt(t, result, path.join('.'), `oversized ${path.join('.')}`);
      }
      t.end();
    });
  }
}
