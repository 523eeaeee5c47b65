// Plain-text tables and key/value blocks for people; scripts use --json instead. No colours, so
// output stays the same in a pipe and on a terminal.

export type Row = readonly (string | number | undefined)[];

export function table(headers: readonly string[], rows: readonly Row[]): string {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell) => (cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => row[column]?.length ?? 0)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function keyValues(
  pairs: readonly (readonly [string, string | number | undefined])[],
): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs
    .map(
      ([key, value]) =>
        `${`${key}:`.padEnd(width + 2)}${value === undefined ? '-' : String(value)}`,
    )
    .join('\n');
}

/** `2026-11-28T23:36:30.000Z` → `2026-11-28 23:36`, short enough for a column. */
export function shortTime(iso: string | undefined): string | undefined {
  return iso === undefined ? undefined : iso.slice(0, 16).replace('T', ' ');
}
