// The disk monitor's error: a measurement that did not produce a number. The monitor logs it and
// carries on with the next container (a vanished container or a slow tree is not fatal); nothing
// else throws it.

export interface DiskMeasureErrorDetails {
  /** The directories that were being measured. */
  dirs: readonly string[];
  stderr?: string;
  cause?: unknown;
}

/**
 * Thrown when du cannot run, times out, fails, or prints no total for a directory (the directory
 * vanished because its container was removed mid-run). Code `disk_measure_failed`.
 */
export class DiskMeasureError extends Error {
  readonly code = 'disk_measure_failed';
  readonly dirs: readonly string[];
  readonly stderr: string;

  constructor(message: string, details: DiskMeasureErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DiskMeasureError';
    this.dirs = details.dirs;
    this.stderr = details.stderr ?? '';
  }
}
