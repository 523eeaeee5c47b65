// Exec on the control plane: running commands in containers through their agents.
export { createExecRunner } from './exec-runner.js';
export type { ExecRunner, ExecRunnerOptions, ExecTarget } from './exec-runner.js';
export { createBackgroundExecs } from './background-execs.js';
export type { BackgroundExecs, BackgroundExecOptions } from './background-execs.js';
export { createExecStreamRelay } from './exec-stream-relay.js';
export type { ExecStreamRelay } from './exec-stream-relay.js';
