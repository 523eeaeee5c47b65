// WebSocket close codes of the agent socket and of users' terminal sockets, all in the private
// 4000–4999 range, each with a stable name. Which codes end an agent's retries is decided here so
// the agent and PROTOCOL.md cannot disagree; choosing a code for a situation is the caller's job.

export const CloseCode = {
  /** Clean close with nothing wrong (after GOODBYE, or a terminal the client ended). */
  NORMAL: 4000,
  /** Malformed, undecodable or out-of-order message (e.g. anything before HELLO). */
  PROTOCOL_VIOLATION: 4001,
  /** A message over the size limit. */
  MESSAGE_TOO_LARGE: 4002,
  /**
   * Missing, malformed or unknown credential or token; on a terminal also a token revoked or
   * expired, or its user disabled or deleted, while the terminal was open.
   */
  UNAUTHORIZED: 4003,
  /** The host's credential was revoked (or the host removed): the agent must stop for good. */
  CREDENTIAL_REVOKED: 4004,
  /** HELLO's protocol_version is not supported by this control plane. */
  UNSUPPORTED_PROTOCOL_VERSION: 4005,
  /** A newer connection took over this one (same host, or same terminal session). */
  REPLACED: 4006,
  /** The peer was silent for longer than the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: 4007,
  /** This control plane replica is shutting down; reconnect (another replica may answer). */
  SERVER_SHUTTING_DOWN: 4008,
  /** The agent is shutting down (it sent AGENT_GOODBYE first). */
  AGENT_SHUTTING_DOWN: 4009,
  /** No HELLO arrived within the handshake timeout. */
  HANDSHAKE_TIMEOUT: 4010,
  /** The server failed (e.g. its database is down); retry later. */
  INTERNAL_ERROR: 4011,
  /** Too many HELLOs from this host in a short time; reconnect with backoff. */
  HELLO_THROTTLED: 4012,
  /** HELLO's inventory lists far more containers than the control plane placed on the host. */
  INVENTORY_REFUSED: 4013,
  /** Terminal: the shell exited (an `exit` frame preceded the close). */
  SHELL_EXITED: 4100,
  /** Terminal: the container stopped or was removed. */
  CONTAINER_STOPPED: 4101,
  /** Terminal: the shell is gone because its agent restarted or its host was lost. */
  SESSION_LOST: 4102,
  /** Terminal: the container already has the maximum number of shells. */
  TOO_MANY_SESSIONS: 4103,
  /** Terminal: the shell could not be started (no shell in the image, exec failed). */
  TERMINAL_FAILED: 4104,
  /** Terminal: the host serving the container is not connected. */
  HOST_UNAVAILABLE: 4105,
  /** Exec stream: the command ended (an `exit` frame preceded the close). */
  EXEC_EXITED: 4110,
  /** Exec stream: no such exec in the container (never started, or its grace period ran out). */
  EXEC_NOT_FOUND: 4111,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCode = (typeof CloseCode)[CloseCodeName];

const NAMES = new Map<number, CloseCodeName>(
  Object.entries(CloseCode).map(([name, code]) => [code, name as CloseCodeName]),
);

/** The name of a Rexec close code, or undefined for any other number (1000, 1006, …). */
export function closeCodeName(code: number): CloseCodeName | undefined {
  return NAMES.get(code);
}

/**
 * Close codes after which an agent must not reconnect: retrying cannot succeed without an
 * operator (new credential, upgraded agent, or the other agent using this host's credential stopped).
 */
export const AGENT_FATAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.UNAUTHORIZED,
  CloseCode.CREDENTIAL_REVOKED,
  CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
  CloseCode.REPLACED,
]);

/** Whether an agent whose socket closed with `code` should reconnect (with backoff). */
export function agentShouldReconnect(code: number): boolean {
  return !AGENT_FATAL_CLOSE_CODES.has(code);
}
