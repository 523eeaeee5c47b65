// Public surface of the scheduler: the pure placement rules and the transactional shell.
export * from './cpu-overcommit.js';
export * from './placement.js';
export * from './scheduler.js';
export * from './no-capacity-reason.js';
