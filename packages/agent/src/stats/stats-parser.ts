// Parses one `stats --no-stream` pass of either engine into samples. podman's template
// `{{json .ContainerStats}}` prints raw numbers (cumulative CPU nanoseconds, bytes); docker's
// `{{json .}}` prints display strings ("1.5MiB / 7.6GiB", "12.3%", "--" when unknown). A figure the
// engine did not give is null, never 0. Turning samples into usage is stats-sampler.ts's job.
import { z } from 'zod';
import { parseJsonItems } from '../runtime/json-output.js';

export interface EngineStatsSample {
  /** The engine's container name (`rexec-<container id>` for Rexec's containers). */
  name: string;
  /** The engine's own CPU figure in percent of one core (podman's is an average since start). */
  cpuPercent: number | null;
  /** podman only: CPU time used since start and the clock it was read at, for a rate over a pass. */
  cpuNanos: number | null;
  readAtNanos: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  pids: number | null;
  netRxBytes: number | null;
  netTxBytes: number | null;
}

export function statsFormatArgs(kind: 'docker' | 'podman'): string[] {
  return ['--format', kind === 'podman' ? '{{json .ContainerStats}}' : '{{json .}}'];
}

const count = z.number().nonnegative().optional();

// podman prints an all-zero entry (SystemNano 0) for a container it could not read yet.
const PodmanEntry = z
  .object({
    Name: z.string().min(1),
    CPU: z.number().nonnegative().optional(),
    CPUNano: count,
    SystemNano: count,
    MemUsage: count,
    MemLimit: count,
    NetInput: count,
    NetOutput: count,
    PIDs: count,
  })
  .transform((entry): EngineStatsSample => {
    const read = (entry.SystemNano ?? 0) > 0;
    const figure = (value: number | undefined) => (read && value !== undefined ? value : null);
    return {
      name: entry.Name,
      cpuPercent: figure(entry.CPU),
      cpuNanos: figure(entry.CPUNano),
      readAtNanos: figure(entry.SystemNano),
      memoryBytes: figure(entry.MemUsage),
      memoryLimitBytes: entry.MemLimit === 0 ? null : figure(entry.MemLimit),
      pids: figure(entry.PIDs),
      netRxBytes: figure(entry.NetInput),
      netTxBytes: figure(entry.NetOutput),
    };
  });

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
};

/** "1.5MiB", "472B", "1.096kB" → bytes; "--", "" or anything unreadable → null. */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (match === null) return null;
  const factor = UNIT_BYTES[(match[2] === '' ? 'b' : (match[2] ?? '')).toLowerCase()];
  if (factor === undefined) return null;
  return Math.round(Number(match[1]) * factor);
}

/** "12.34%" → 12.34; "--" or "" → null. */
export function parsePercent(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return match === null ? null : Number(match[1]);
}

/** "used / limit" → both sizes; either side may be unreadable ("--"). */
function parsePair(text: string): [number | null, number | null] {
  const [left = '', right = ''] = text.split('/');
  return [parseSize(left), parseSize(right)];
}

function parseCount(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

const DockerEntry = z
  .object({
    Name: z.string().min(1),
    CPUPerc: z.string().default(''),
    MemUsage: z.string().default(''),
    NetIO: z.string().default(''),
    PIDs: z.string().default(''),
  })
  .transform((entry): EngineStatsSample => {
    const [memoryBytes, memoryLimitBytes] = parsePair(entry.MemUsage);
    const [netRxBytes, netTxBytes] = parsePair(entry.NetIO);
    return {
      name: entry.Name.replace(/^\//, ''),
      cpuPercent: parsePercent(entry.CPUPerc),
      cpuNanos: null,
      readAtNanos: null,
      memoryBytes,
      memoryLimitBytes: memoryLimitBytes === 0 ? null : memoryLimitBytes,
      pids: parseCount(entry.PIDs),
      netRxBytes,
      netTxBytes,
    };
  });

export function parseStatsOutput(
  kind: 'docker' | 'podman',
  stdout: string,
  command: readonly string[],
): EngineStatsSample[] {
  return kind === 'podman'
    ? parseJsonItems(stdout, PodmanEntry, 'stats', command)
    : parseJsonItems(stdout, DockerEntry, 'stats', command);
}
