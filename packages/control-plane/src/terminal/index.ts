// The terminal relay's public surface: the relay factory and what a terminal is aimed at.
export * from './relay.js';
export { MAX_TERMINAL_INPUT_FRAME_BYTES, type TerminalTarget } from './terminal-connection.js';
