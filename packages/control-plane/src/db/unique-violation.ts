// Recognises Postgres unique violations (SQLSTATE 23505) through drizzle's error wrapping, on both
// drivers, so services can turn them into domain errors such as name_taken.

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
}

/** True when `error` (or one of its causes) is a unique violation, optionally of `constraint`. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const fields = current as PgErrorFields;
    if (fields.code === '23505') {
      return constraint === undefined || fields.constraint === constraint;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
