// The error a terminal open fails with, in its own file so that terminal-manager.ts (which throws
// it) and terminal-connection.ts (which reports it) depend on it and not on each other.

/** Why an open failed, as the AGENT_TERMINAL_ERROR code and message. */
export class TerminalOpenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalOpenError';
    this.code = code;
  }
}
