// Exec on the control plane: running commands in containers through their agents.
export { createExecRunner } from './exec-runner.js';
export type { ExecRunner, ExecRunnerOptions, ExecTarget } from './exec-runner.js';
