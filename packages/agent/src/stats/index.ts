// The stats sampler's public surface (see stats-sampler.ts).
export { createStatsReader, readInHalves } from './stats-reader.js';
export { createStatsSampler, DEFAULT_STATS_INTERVAL_MS } from './stats-sampler.js';
export type { StatsSampler, StatsSamplerOptions } from './stats-sampler.js';
export { mergeUsage } from './usage-merge.js';
