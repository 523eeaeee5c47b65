// The result every decoder returns: a typed value, or an error naming each offending path.
// Decoders never throw on bad input; what to do with a failure (close code, log, 400) is the
// caller's decision.
import type { z } from 'zod';

/** One problem in a decoded value; `path` is dotted (`inventory.0.state`), empty for the root. */
export interface DecodeIssue {
  readonly path: string;
  readonly message: string;
}

export interface DecodeError {
  /** One sentence for logs: the first issue and how many more there are. */
  readonly message: string;
  readonly issues: readonly DecodeIssue[];
}

export type DecodeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

/** Most issues a single result carries; a hostile message cannot make an error list unbounded. */
export const MAX_DECODE_ISSUES = 20;

export function decodeSuccess<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function decodeFailure<T = never>(issues: readonly DecodeIssue[]): DecodeResult<T> {
  const kept = issues.slice(0, MAX_DECODE_ISSUES);
  return { ok: false, error: { message: summarize(kept, issues.length), issues: kept } };
}

/**
 * Turns zod's issues into ours: dotted paths, and for an unknown discriminator (`type`, `action`)
 * a sentence naming the value received, read from `input` (the value that was validated).
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], input?: unknown): DecodeIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: describe(issue, input),
  }));
}

function describe(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    const options = 'options' in issue ? (issue.options ?? []) : [];
    const expected = `expected one of ${options.map(String).join(', ')}`;
    const received = valueAt(input, issue.path);
    if (received === undefined) return `${issue.discriminator} is missing; ${expected}`;
    return `unknown ${issue.discriminator} ${preview(received)}; ${expected}`;
  }
  return issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || typeof key === 'symbol') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** A short rendering of a received value; a hostile `type` must not blow up a log line. */
function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value;
  return text.length > 66 ? `${text.slice(0, 64)}…"` : text;
}

function summarize(issues: readonly DecodeIssue[], total: number): string {
  const first = issues[0];
  if (first === undefined) return 'invalid message';
  const where = first.path === '' ? '' : `${first.path}: `;
  const more = total > 1 ? ` (and ${total - 1} more)` : '';
  return `${where}${first.message}${more}`;
}
