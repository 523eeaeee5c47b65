// Pulls an image the engine does not have, through a registry mirror when one is configured, and
// tags a mirrored pull under the original reference so the run, labels and inventory keep naming
// what the user asked for. Deciding when to pull (only after `run` found the image missing) is
// cli-runtime.ts's.
import type { EngineCli } from './engine-cli.js';
import { isRuntimeError, RuntimeError } from './errors.js';
import { mirrorReference } from './registry-mirrors.js';
import type { RegistryMirrors } from './registry-mirrors.js';

/** Large images on slow links take minutes; the control plane waits longer than this for a create. */
export const PULL_TIMEOUT_MS = 600_000;

export async function pullImage(
  cli: EngineCli,
  reference: string,
  mirrors: RegistryMirrors,
): Promise<void> {
  const mirrored = mirrorReference(reference, mirrors);
  const source = mirrored ?? reference;
  try {
    await cli.run(['pull', source], { timeoutMs: PULL_TIMEOUT_MS });
    if (mirrored !== null) await cli.run(['tag', mirrored, reference]);
  } catch (error) {
    if (!isRuntimeError(error)) throw error;
    const via = mirrored === null ? '' : ` (via mirror ${mirrored})`;
    throw new RuntimeError(`image ${reference} could not be pulled${via}: ${error.message}`, {
      code: 'image_pull_failed',
      command: error.command,
      exitCode: error.exitCode,
      stderr: error.stderr,
      cause: error,
    });
  }
}

/** A `run` refused for a missing image says so in a sentence; anything else is as the engine said. */
export function explainRunFailure(image: string, error: unknown): unknown {
  if (!isRuntimeError(error, 'image_missing')) return error;
  return new RuntimeError(`image ${image} is not present on this host`, {
    code: 'image_missing',
    command: error.command,
    exitCode: error.exitCode,
    stderr: error.stderr,
    cause: error,
  });
}
