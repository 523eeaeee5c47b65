// Every table of the control plane, re-exported as the one drizzle schema object both drivers use.
export * from './api-tokens.js';
export * from './audit-log.js';
export * from './container-stats.js';
export * from './containers.js';
export * from './events.js';
export * from './host-credentials.js';
export * from './host-join-tokens.js';
export * from './hosts.js';
export * from './rate-limits.js';
export * from './relayed-commands.js';
export * from './replicas.js';
export * from './tiers.js';
export * from './users.js';
export * from './webhook-deliveries.js';
export * from './webhooks.js';
