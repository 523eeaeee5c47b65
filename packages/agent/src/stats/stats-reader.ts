// The sampler's one engine call per pass: `stats --no-stream` over every running container at once
// (the engines have no label filter for stats, so the sampler picks this host's by name). Runs
// through engine-cli.ts like every other engine command; parsing is stats-parser.ts's.
import { createEngineCli } from '../runtime/engine-cli.js';
import { parseStatsOutput, statsFormatArgs, type EngineStatsSample } from './stats-parser.js';

/** A pass that takes longer than this is abandoned; the next interval tries again. */
const STATS_TIMEOUT_MS = 30_000;

export function createStatsReader(
  kind: 'docker' | 'podman',
  binary: string = kind,
): () => Promise<EngineStatsSample[]> {
  const cli = createEngineCli(binary);
  const args = ['stats', '--no-stream', ...statsFormatArgs(kind)];
  return async () =>
    parseStatsOutput(kind, await cli.run(args, { timeoutMs: STATS_TIMEOUT_MS }), [binary, ...args]);
}
