// Reading the benchmarks' command-line flags: a flag's value checked once, the error naming it.

/** `value` of `--name` as a positive integer, or an error that says which flag and what it got. */
export function positiveIntFlag(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}
