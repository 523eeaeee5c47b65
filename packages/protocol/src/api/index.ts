// REST API v1 bodies (DESIGN §3): one zod schema per body, sharing its name with the inferred type.
// Re-exported from the package root; the control plane validates with them, the SDK decodes with them.
export * from './errors.js';
export * from './common.js';
export * from './catalog.js';
export * from './container-logs.js';
export * from './container-stats.js';
export * from './containers.js';
export * from './tiers.js';
export * from './users.js';
export * from './tokens.js';
export * from './hosts.js';
export * from './exec.js';
export * from './exec-background.js';
export * from './files.js';
export * from './events.js';
export * from './audit.js';

/** Base path of REST API v1. */
export const API_BASE_PATH = '/api/v1';
export * from './webhooks.js';
