// Why the agent stops for good: one error class with a stable code, so main.ts prints one clear
// line and picks the exit code. Runtime failures have their own class (runtime/errors.ts);
// configuration errors theirs (config.ts).

export type AgentFatalCode =
  | 'enroll_refused'
  | 'enroll_failed'
  | 'no_credential'
  | 'state_invalid'
  | 'no_runtime'
  | 'unauthorized'
  | 'credential_revoked'
  | 'unsupported_protocol_version'
  | 'replaced';

/**
 * Thrown (or reported by the connection loop) when retrying cannot help: the join token or the
 * credential was refused, the state file is unreadable, no engine answers, the control plane does
 * not speak our protocol version, or another agent process uses this host's credential.
 */
export class AgentFatalError extends Error {
  readonly code: AgentFatalCode;

  constructor(code: AgentFatalCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentFatalError';
    this.code = code;
  }
}
