// The one error class of the runtime layer: every failed engine command and every refused operation
// becomes a RuntimeError with a stable code, the argv that ran, its exit code and its stderr.
// Mapping these codes to protocol results or HTTP statuses is the agent's and control plane's job.

/** Stable reasons a runtime operation fails; callers switch on these, never on messages. */
export type RuntimeErrorCode =
  | 'not_found'
  | 'image_missing'
  | 'image_pull_failed'
  | 'image_too_large'
  | 'conflict'
  | 'engine_failed'
  | 'foreign_container'
  | 'invalid_spec';

export interface RuntimeErrorDetails {
  code: RuntimeErrorCode;
  /** The engine argv (binary first) that failed; empty when no command ran. */
  command?: readonly string[];
  exitCode?: number | null;
  stderr?: string;
  cause?: unknown;
}

/**
 * Thrown when a container engine command fails (`not_found`, `image_missing`, `conflict`,
 * `engine_failed`), when a missing image cannot be pulled (`image_pull_failed`) or is over the
 * host's image size cap (`image_too_large`), when an operation targets a container that carries another host's
 * `io.rexec.host-id` label (`foreign_container`), or when a container spec is malformed
 * (`invalid_spec`). `command`, `exitCode` and `stderr` describe the engine call, if one ran.
 */
export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  readonly command: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(message: string, details: RuntimeErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RuntimeError';
    this.code = details.code;
    this.command = details.command ?? [];
    this.exitCode = details.exitCode ?? null;
    this.stderr = details.stderr ?? '';
  }
}

/** True when `error` is a RuntimeError with one of the given codes. */
export function isRuntimeError(
  error: unknown,
  ...codes: RuntimeErrorCode[]
): error is RuntimeError {
  return error instanceof RuntimeError && (codes.length === 0 || codes.includes(error.code));
}
