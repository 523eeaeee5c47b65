// Decodes a 2xx answer with the protocol schema the route promises. A body that does not match is
// an `invalid_response` RexecError naming the first problems, never a crash deeper in the caller.
import type { z } from 'zod';
import { RexecError } from '../errors.js';
import type { RawAnswer } from './error-answer.js';

export function decode<S extends z.ZodType>(
  schema: S,
  answer: RawAnswer,
  what: string,
): z.output<S> {
  if (answer.json === undefined) {
    throw new RexecError({
      status: answer.status,
      code: 'invalid_response',
      message: `${what}: the server answered ${answer.status} without a JSON body.`,
      requestId: answer.headers.get('x-request-id') ?? undefined,
    });
  }
  const parsed = schema.safeParse(answer.json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new RexecError({
    status: answer.status,
    code: 'invalid_response',
    message:
      `${what}: the server's answer does not match the Rexec API` +
      (first === undefined
        ? '.'
        : ` (${first.path === '' ? 'body' : first.path}: ${first.message}).`),
    details: { issues },
    requestId: answer.headers.get('x-request-id') ?? undefined,
    cause: parsed.error,
  });
}
