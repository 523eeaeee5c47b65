// Typed rows from raw SQL that returns a table's columns under their database names (`returning
// *`-style statements the query builder cannot write, such as data-modifying CTEs): each value goes
// through the column's own driver mapping, as drizzle does for its builder queries. Writing the SQL
// and choosing the columns is the caller's.
import { getTableColumns, sql, type Column, type SQL, type Table } from 'drizzle-orm';

/** `columns` as a select list of their database names, for a RETURNING or a SELECT. */
export function columnList(columns: Record<string, Column>): SQL {
  return sql.join(
    Object.values(columns).map((column) => sql.identifier(column.name)),
    sql`, `,
  );
}

/** `columns`' database names, quoted, as a select list for a fixed statement text. */
export function columnNames(columns: Record<string, Column>): string {
  return Object.values(columns)
    .map((column) => `"${column.name}"`)
    .join(', ');
}

/** The row keyed by property name, each value mapped by its column; missing values become null. */
export function mapRow<T>(columns: Record<string, Column>, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const value = row[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T;
}

/** Every column of `table` but those named in `leftOut` (property names), in their order. */
export function columnsWithout<T extends Table, K extends keyof T['_']['columns']>(
  table: T,
  leftOut: readonly K[],
): Record<string, Column> {
  const all: Record<string, Column> = getTableColumns(table);
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => !(leftOut as readonly string[]).includes(key)),
  );
}

/**
 * `columns` of the table aliased `alias` as a select list for a fixed statement text, each under
 * `<alias>_<property>` so two tables' columns of the same name can share one row.
 */
export function prefixedSelect(alias: string, columns: Record<string, Column>): string {
  return Object.entries(columns)
    .map(([key, column]) => `${alias}."${column.name}" AS "${alias}_${key}"`)
    .join(', ');
}

/** The row prefixedSelect(alias, columns) selected, keyed by property and mapped by column. */
export function mapPrefixed<T>(
  alias: string,
  columns: Record<string, Column>,
  row: Record<string, unknown>,
): T {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const value = row[`${alias}_${key}`];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T;
}
