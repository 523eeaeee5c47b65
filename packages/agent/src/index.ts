// Public surface of @rexec/agent. For now the container runtime layer; the daemon's own modules
// (connection, commands, main) are added by the agent's other parts.
export * from './runtime/index.js';
