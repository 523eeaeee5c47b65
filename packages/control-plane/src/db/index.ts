// The data layer's public surface: opening, migrating and the drizzle schema.
export * from './migrate.js';
export * from './open.js';
export * as schema from './schema/index.js';
export { selectRows } from './rows.js';
export { isUniqueViolation } from './unique-violation.js';
// Re-exported so code outside this package's dependency tree (the test workspace) can write raw
// SQL against the same drizzle instance without a second drizzle-orm copy.
export { sql } from 'drizzle-orm';
