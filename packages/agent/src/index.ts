// Public surface of @rexec/agent: the container runtime layer. The daemon itself is src/main.ts
// (bin `rexec-agent`); its modules (connection, session, commands, status reports) are internal.
export * from './runtime/index.js';
