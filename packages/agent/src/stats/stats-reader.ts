// The sampler's engine calls: one `stats --no-stream` over every running container at once per
// pass (the engines have no label filter for stats, so the sampler picks this host's by name), and,
// when that call fails, the same call on named containers, in halves, so one container the engine
// cannot read does not blind the sampler to the others. Runs through engine-cli.ts like every other
// engine command; parsing is stats-parser.ts's.
import { createEngineCli } from '../runtime/engine-cli.js';
import { parseStatsOutput, statsFormatArgs, type EngineStatsSample } from './stats-parser.js';

/** A pass that takes longer than this is abandoned; the next interval tries again. */
const STATS_TIMEOUT_MS = 30_000;

/** Reads every running container's figures, or only the named containers' when names are given. */
export type StatsRead = (names?: readonly string[]) => Promise<EngineStatsSample[]>;

export function createStatsReader(kind: 'docker' | 'podman', binary: string = kind): StatsRead {
  const cli = createEngineCli(binary);
  const format = statsFormatArgs(kind);
  return async (names) => {
    const args = ['stats', '--no-stream', ...format, ...(names ?? [])];
    return parseStatsOutput(kind, await cli.run(args, { timeoutMs: STATS_TIMEOUT_MS }), [
      binary,
      ...args,
    ]);
  };
}

export interface HalvesResult {
  samples: EngineStatsSample[];
  /** Names read alone that the engine says it has no container of: removed since the listing. */
  gone: string[];
  /** Names read alone that still failed otherwise, or left unread when the calls ran out. */
  unread: string[];
  /** The last failure seen, for the log. */
  error: unknown;
}

/** Both engines' words for a name they do not have ("…: no such container"). */
const NO_SUCH_CONTAINER = /no such container/i;

/**
 * Reads `names` with one call, and a group that fails in two halves, until the containers that
 * fail are alone. podman fails a whole pass for one container it cannot read (one exiting or being
 * removed at that moment, a name no longer there); k such containers among n cost about
 * 2·k·log2(n) calls, and never more than `maxCalls`.
 */
export async function readInHalves(
  read: StatsRead,
  names: readonly string[],
  maxCalls: number,
): Promise<HalvesResult> {
  const samples: EngineStatsSample[] = [];
  const gone: string[] = [];
  const unread: string[] = [];
  let error: unknown;
  const groups: (readonly string[])[] = names.length === 0 ? [] : [names];
  let calls = 0;
  for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
    if (calls === maxCalls) {
      unread.push(...group);
      continue;
    }
    calls += 1;
    try {
      samples.push(...(await read(group)));
    } catch (failure) {
      error = failure;
      if (group.length === 1) {
        (NO_SUCH_CONTAINER.test(String(failure)) ? gone : unread).push(...group);
      } else {
        const middle = Math.ceil(group.length / 2);
        groups.push(group.slice(0, middle), group.slice(middle));
      }
    }
  }
  return { samples, gone, unread, error };
}
