// Public entry of @rexec/protocol: every wire contract of Rexec, zod only, no I/O.
// REST bodies come from ./api (its own owner); the agent socket, terminals and constants from here.
export * from './api/index.js';
export * from './constants.js';
export * from './close-codes.js';
export * from './backoff.js';
export * from './result.js';
export * from './fields.js';
export * from './agent/host-values.js';
export * from './agent/container-values.js';
export * from './agent/commands.js';
export * from './agent/terminal-relay.js';
export * from './agent/exec-relay.js';
export * from './agent/exec-attach.js';
export * from './agent/file-relay.js';
export * from './agent/agent-messages.js';
export * from './agent/control-messages.js';
export * from './agent/enrollment.js';
export * from './agent/channel-frame.js';
export * from './terminal/session.js';
export * from './terminal/frames.js';
export * from './terminal/connect.js';
export * from './terminal/close-for-error.js';
export * from './exec-stream/frames.js';
export * from './decode.js';
