// Reads the two JSON layouts engine CLIs print: one JSON document (podman's arrays and objects)
// or one JSON object per line (docker's `{{json .}}` output). Schemas are the callers'; this
// file only splits, parses and validates, turning any failure into RuntimeError `engine_failed`.
import type { z } from 'zod';
import { RuntimeError } from './errors.js';

function failure(
  what: string,
  command: readonly string[],
  cause: unknown,
  detail = '',
): RuntimeError {
  return new RuntimeError(
    `unexpected ${what} output from the engine${detail ? `: ${detail}` : ''}`,
    {
      code: 'engine_failed',
      command,
      cause,
    },
  );
}

/** Parses `stdout` as JSON lines or as one JSON array; each item must match `item`. */
export function parseJsonItems<T>(
  stdout: string,
  item: z.ZodType<T>,
  what: string,
  command: readonly string[],
): T[] {
  const text = stdout.trim();
  if (text === '') return [];
  let values: unknown[];
  try {
    if (text.startsWith('[')) {
      const parsed: unknown = JSON.parse(text);
      values = Array.isArray(parsed) ? parsed : [parsed];
    } else {
      values = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    }
  } catch (error) {
    throw failure(what, command, error, 'invalid JSON');
  }
  return values.map((value) => {
    const parsed = item.safeParse(value);
    if (!parsed.success)
      throw failure(what, command, parsed.error, parsed.error.issues[0]?.message);
    return parsed.data;
  });
}

/** Parses `stdout` as one JSON object matching `schema`. */
export function parseJsonObject<T>(
  stdout: string,
  schema: z.ZodType<T>,
  what: string,
  command: readonly string[],
): T {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    throw failure(what, command, error, 'invalid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw failure(what, command, parsed.error, parsed.error.issues[0]?.message);
  return parsed.data;
}
