// The agent's terminal sessions (PROTOCOL.md §9): a manager shared by every agent socket, and the
// per-socket connection session.ts feeds. The control plane's relay and the user's socket live in
// the control plane.
export { createTerminalManager } from './terminal-manager.js';
export { TerminalOpenError } from './terminal-open-error.js';
export type { OpenedSession, TerminalManager, TerminalManagerOptions } from './terminal-manager.js';
export type { ControlTerminalMessage, TerminalConnection } from './terminal-connection.js';
export type { TerminalLink } from './terminal-link.js';
export { INPUT_WINDOW_BYTES } from './terminal-session.js';
