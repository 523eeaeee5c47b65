// Execs: run one command in a container over the agent socket (PROTOCOL.md §9a).
export { createExecManager } from './exec-manager.js';
export type { ExecConnection, ExecManager } from './exec-manager.js';
