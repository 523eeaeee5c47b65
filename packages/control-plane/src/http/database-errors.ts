// Recognises "the database is unreachable" among driver errors, so the API answers 503 unavailable
// instead of 500. Drizzle wraps driver errors, so the whole cause chain is inspected.

/** Socket-level failures node-postgres reports when the server is gone or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs meaning the server cannot serve us: class 08 (connection exception), 57P01–57P03
 * (shutdown, crash, cannot connect now), 53300 (too many connections) and 57014 (cancelled, as
 * statement_timeout does to a statement the server is too slow for).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code);
}

const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  // The client's query_timeout: the server accepted the query and never answered (stopped, frozen).
  'Query read timeout',
  'Client has encountered a connection error',
  'PGlite is closed',
  'PGlite is closing',
  // Shutting down: the pool is closed while a request whose client went away still runs.
  'Cannot use a pool after calling end on the pool',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableSqlState(code))) {
      return true;
    }
    // FATAL ends the session (refused at connect, terminated); the server cannot serve us now.
    const severity = (current as { severity?: unknown }).severity;
    if (severity === 'FATAL' || severity === 'PANIC') return true;
    const message = current.message;
    if (UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment))) return true;
    current = current.cause;
  }
  return false;
}
