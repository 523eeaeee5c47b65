// The logger the hub and the lifecycle need: pino's and fastify's both fit, tests pass their own.
import type { BaseLogger } from 'pino';

export type Log = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
