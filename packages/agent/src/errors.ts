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
  | 'replaced'
  | 'runtime_dir_unusable';

/**
 * Thrown (or reported by the connection loop) when retrying cannot help: the join token or the
 * credential was refused, the state file is unreadable, no engine answers, the control plane does
 * not speak our protocol version, another agent process uses this host's credential, or the
 * runtime directory cannot be made or is not safely the agent's.
 */
export class AgentFatalError extends Error {
  readonly code: AgentFatalCode;

  constructor(code: AgentFatalCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentFatalError';
    this.code = code;
  }
}
