// Public surface of @rexec/agent: the container runtime layer. The daemon itself is src/main.ts
// (bin `rexec-agent`); its modules (connection, session, commands, status reports) are internal.
// removeHostGuard is public for uninstall scripts and test cleanup.
export * from './runtime/index.js';
export { hostGuardChains, removeHostGuard } from './network/index.js';
