// The domain services of the control plane, each a set of functions taking the database first.
export * from './container-queries.js';
export * from './containers.js';
export * from './events.js';
export * from './hosts.js';
export * from './tiers.js';
export * from './tokens.js';
export * from './users.js';
