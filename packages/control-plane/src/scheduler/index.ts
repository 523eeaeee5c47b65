// Public surface of the scheduler: the pure placement rules and the transactional shell.
export * from './placement.js';
export * from './scheduler.js';
