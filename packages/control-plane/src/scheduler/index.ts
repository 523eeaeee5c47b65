// Public surface of the scheduler: the pure placement rules, the fleet snapshot and the placer.
export * from './cpu-overcommit.js';
export * from './placement.js';
export * from './placer.js';
export * from './snapshot.js';
export * from './no-capacity-reason.js';
