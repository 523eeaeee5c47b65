// `rexec stats NAME`: a container's latest sample as a table, once when stdout is not a terminal
// (or with --no-stream), else redrawn every 2 s until Ctrl-C with plain ANSI (clear, home). The
// figures come from GET /containers/:id/stats; sampling is the host agent's.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerStats } from '@rexec/protocol';
import type { Command, CommandContext } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { table } from '../table.js';

const REDRAW_MS = 2_000;
const CLEAR_AND_HOME = '\x1b[H\x1b[2J';

/** 1536 → "1.5KiB"; binary units like the engines' memory figures. */
export function formatBytes(bytes: number | null): string | undefined {
  if (bytes === null) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}

function percentOf(part: number | null, whole: number): string {
  return part === null || whole === 0 ? '' : ` (${((part / whole) * 100).toFixed(1)}%)`;
}

/** The one-row table `rexec stats` prints for a container. */
export function statsTable(name: string, stats: ContainerStats): string {
  const memory = formatBytes(stats.memory_bytes);
  const disk = stats.disk_used_mb === null ? undefined : `${stats.disk_used_mb}MB`;
  return table(
    ['NAME', 'CPU %', 'MEM / LIMIT', 'DISK / LIMIT', 'NET RX / TX', 'PIDS', 'SAMPLED'],
    [
      [
        name,
        stats.cpu_percent === null ? undefined : stats.cpu_percent.toFixed(1),
        `${memory ?? '-'} / ${formatBytes(stats.memory_limit_bytes)}${percentOf(stats.memory_bytes, stats.memory_limit_bytes)}`,
        `${disk ?? '-'} / ${stats.disk_limit_mb}MB`,
        `${formatBytes(stats.net_rx_bytes) ?? '-'} / ${formatBytes(stats.net_tx_bytes) ?? '-'}`,
        stats.pids ?? undefined,
        stats.at ?? 'not running or not sampled yet',
      ],
    ],
  );
}

async function live(context: CommandContext, name: string): Promise<number> {
  const client = await context.client();
  // Until Ctrl-C: SIGINT ends the process, and the screen keeps the last table.
  for (;;) {
    const stats = await client.containers.stats(name);
    context.io.stdout.write(`${CLEAR_AND_HOME}${statsTable(name, stats)}\n\nCtrl-C to quit\n`);
    await sleep(REDRAW_MS);
  }
}

export const stats: Command = {
  name: 'stats',
  usage: 'rexec stats <name|id> [--no-stream] [--json]',
  summary: 'show cpu, memory, disk, network and pids (live on a terminal)',
  options: { 'no-stream': { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const [name] = context.positionals;
    if (name === undefined) throw new UsageError('give a container name or id');
    const once = context.json || context.values['no-stream'] === true || !context.io.stdout.isTTY;
    if (!once) return live(context, name);
    const client = await context.client();
    const answer = await client.containers.stats(name);
    if (context.json) context.printJson(answer);
    else context.print(statsTable(name, answer));
    return ExitCode.OK;
  },
};
