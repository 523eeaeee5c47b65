// Recognises Postgres check violations (SQLSTATE 23514) through drizzle's error wrapping, on both
// drivers, so services can turn a constraint that caught a race into a domain error.

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
}

/** True when `error` (or one of its causes) is a check violation of `constraint`. */
export function isCheckViolation(error: unknown, constraint: string): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const fields = current as PgErrorFields;
    if (fields.code === '23514') return fields.constraint === constraint;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
