// Public surface of @rexec/control-plane for embedding and tests: the app factory, configuration,
// the database entry points, the agent hub and the terminal relay. Running the process is main.ts's
// job.
export { buildApp, BODY_LIMIT_BYTES, type AppDependencies } from './http/app.js';
export { createRateLimiter, type RateLimiter, type RateCategory } from './http/rate-limit.js';
export { loadConfig, applyFlags, ConfigError, type Config } from './config.js';
export { openDatabase, type Database, type DbTarget } from './db/open.js';
export { migrateDatabase } from './db/migrate.js';
export { createPlacer, type Placer } from './scheduler/placer.js';
export { createHub, type Hub, type HubOptions } from './hub/hub.js';
export {
  createTerminalRelay,
  type TerminalRelay,
  type TerminalRelayOptions,
} from './terminal/relay.js';
