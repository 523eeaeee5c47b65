// The agent hub's public surface.
export * from './channel.js';
export * from './hub.js';
export * from './terminal-channels.js';
export * from './exec-channels.js';
export type { Log } from './log.js';
