// Fixed numbers of the agent and terminal protocols: versions, subprotocols, paths, heartbeat and
// backoff schedules, size limits and command timeouts. PROTOCOL.md has the same values in a table;
// close codes live in close-codes.ts. Which process enforces each number is said beside it.

/** The agent protocol version this package speaks; HELLO carries the agent's, WELCOME confirms it. */
export const PROTOCOL_VERSION = 1;

/** Versions a control plane built from this package accepts in AGENT_HELLO. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

/** WebSocket subprotocol of the agent socket. */
export const AGENT_SUBPROTOCOL = 'rexec.agent.v1';
/** WebSocket subprotocol of a user's terminal socket. */
export const TERMINAL_SUBPROTOCOL = 'rexec.terminal.v1';
/** Browsers cannot set headers on a WebSocket: they offer `rexec.token.<token>` as a subprotocol. */
export const TERMINAL_TOKEN_SUBPROTOCOL_PREFIX = 'rexec.token.';

/** Path of the agent socket, under the REST base path. */
export const AGENT_CONNECT_PATH = '/api/v1/agent/connect';
/** Path of the join-token exchange (first contact of a new host). */
export const AGENT_ENROLL_PATH = '/api/v1/agent/enroll';

/** How often an agent sends AGENT_HEARTBEAT unless WELCOME says otherwise. */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** Intervals without any message after which a peer is presumed gone. */
export const HEARTBEAT_MISS_THRESHOLD = 3;
/** Silence after which the control plane marks the host unreachable and closes the socket. */
export const HEARTBEAT_TIMEOUT_MS = HEARTBEAT_INTERVAL_MS * HEARTBEAT_MISS_THRESHOLD;
/** The promise the timeout serves (DESIGN §5): a silent host is `unreachable` within this. */
export const UNREACHABLE_DEADLINE_MS = 10_000;
/** A watchdog must check at least this often so timeout + one tick stays under the deadline. */
export const HEARTBEAT_WATCHDOG_TICK_MS = 500;
/** Bounds the control plane may choose for `heartbeat_interval_ms` in WELCOME. */
export const HEARTBEAT_INTERVAL_BOUNDS_MS = { min: 500, max: 60_000 } as const;

/** Time an accepted socket has to send AGENT_HELLO before it is closed (HANDSHAKE_TIMEOUT). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Reconnect schedule of an agent: delay = min(cap, initial × factor^attempt), then "full jitter"
 * scaled by `jitter` (0.5 means a uniform pick in [50 %, 100 %] of that delay). Reset after a
 * session that reached WELCOME and lasted `resetAfterMs`.
 */
/**
 * While waiting out a reconnect delay, the agent asks the control plane's /readyz this often (each
 * within connectTimeoutMs); once it answers 200 after failing, the agent dials within
 * returnJitterMs (random, so a fleet that waited together spreads out) instead of after the rest
 * of its grown delay.
 */
export const RECONNECT_PROBE = {
  intervalMs: 500,
  connectTimeoutMs: 1_000,
  returnJitterMs: 500,
} as const;

export const RECONNECT_BACKOFF = {
  initialMs: 500,
  factor: 2,
  capMs: 30_000,
  jitter: 0.5,
  resetAfterMs: 30_000,
} as const;

/** Largest JSON text message on the agent socket (a HELLO with a full inventory fits easily). */
export const MAX_AGENT_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest JSON control frame on a user's terminal socket. */
export const MAX_TERMINAL_CONTROL_BYTES = 4 * 1024;
/** Largest payload of one binary terminal data frame, on either socket. */
export const MAX_TERMINAL_CHUNK_BYTES = 64 * 1024;
/** Containers an agent may report in one HELLO inventory. */
export const MAX_INVENTORY_CONTAINERS = 4_096;
/** RFC 6455 limits a close reason to 123 bytes; longer explanations go in a message first. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** How long the control plane waits for AGENT_COMMAND_RESULT, per action. */
export const COMMAND_TIMEOUT_MS = {
  create: 120_000,
  start: 30_000,
  /** Added to the command's own `timeout_seconds`. */
  stopGrace: 15_000,
  remove: 60_000,
} as const;
/** `timeout_seconds` of a stop when the caller gives none (then the engine kills). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10;
/** Upper bound of `timeout_seconds` in a stop command. */
export const MAX_STOP_TIMEOUT_SECONDS = 600;
/** How many completed command ids an agent remembers to answer replays from its cache. */
export const COMMAND_REPLAY_CACHE_SIZE = 1_024;

/** Terminal session used when the client names none. */
export const DEFAULT_TERMINAL_SESSION = 'main';
export const DEFAULT_TERMINAL_COLS = 80;
export const DEFAULT_TERMINAL_ROWS = 24;
export const MAX_TERMINAL_DIMENSION = 1_000;
/** A detached shell keeps running this long for a client to resume it. */
export const TERMINAL_GRACE_MS = 5 * 60_000;
/** Recent output kept per shell and replayed on resume. */
export const TERMINAL_SCROLLBACK_BYTES = 256 * 1024;
/** Concurrent shells per container. */
export const MAX_TERMINAL_SESSIONS_PER_CONTAINER = 8;
/** Initial credit of a terminal channel in each direction on the agent socket (flow control). */
export const TERMINAL_WINDOW_BYTES = 256 * 1024;

/** Exec (DESIGN §8.1): timeout_seconds default and bounds. */
export const DEFAULT_EXEC_TIMEOUT_SECONDS = 60;
export const MAX_EXEC_TIMEOUT_SECONDS = 3_600;
/** argv (or command) and env of one exec together, in UTF-8 bytes. */
export const MAX_EXEC_ARGS_BYTES = 256 * 1024;
