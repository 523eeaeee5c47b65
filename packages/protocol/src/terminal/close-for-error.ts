// Which close code ends a user's terminal socket after a terminal error code, so every relay
// closes the same way. Sending the `error` frame before the close is the relay's job.
import { CloseCode } from '../close-codes.js';

const BY_ERROR: ReadonlyMap<string, CloseCode> = new Map<string, CloseCode>([
  ['session_lost', CloseCode.SESSION_LOST],
  ['session_replaced', CloseCode.REPLACED],
  ['container_not_running', CloseCode.CONTAINER_STOPPED],
  ['container_stopped', CloseCode.CONTAINER_STOPPED],
  ['too_many_sessions', CloseCode.TOO_MANY_SESSIONS],
  ['shell_not_found', CloseCode.TERMINAL_FAILED],
  ['exec_failed', CloseCode.TERMINAL_FAILED],
  ['host_unavailable', CloseCode.HOST_UNAVAILABLE],
  ['invalid_frame', CloseCode.PROTOCOL_VIOLATION],
  ['internal', CloseCode.INTERNAL_ERROR],
]);

/** The close code for a terminal error code; unknown codes (from newer agents) fail the terminal. */
export function terminalCloseCode(errorCode: string): CloseCode {
  return BY_ERROR.get(errorCode) ?? CloseCode.TERMINAL_FAILED;
}
