// The image size cap (REXEC_MAX_IMAGE_MB): an image larger than the cap is refused with
// `image_too_large` and removed from the engine (unless a container still uses it), so one tenant
// cannot fill the host's storage with a huge image. Checked before a create's `run` for an image
// already present (once per reference: a verified one is remembered until it is pulled again) and
// after every pull. When to pull is run-fixing-missing.ts's.
import type { Logger } from 'pino';
import type { EngineCli } from './engine-cli.js';
import { isRuntimeError, RuntimeError } from './errors.js';

const MIB = 1024 * 1024;
export const DEFAULT_MAX_IMAGE_MB = 10_240;

export interface ImageSizeGuard {
  /** Throws RuntimeError `image_too_large` (the image removed) when the image is over the cap. */
  check(image: string): Promise<void>;
  /** After a pull: the reference may name another, larger image now. */
  forget(image: string): void;
}

export function createImageSizeGuard(
  cli: EngineCli,
  maxImageMb: number,
  log: Logger,
): ImageSizeGuard {
  const underCap = new Set<string>();

  async function sizeBytes(image: string): Promise<number | null> {
    const args = ['image', 'inspect', '--format', '{{.Size}}', image];
    let stdout: string;
    try {
      stdout = await cli.run(args);
    } catch (error) {
      // Not here: `run` finds it missing and pulls it, and the pull is checked.
      if (isRuntimeError(error, 'image_missing', 'not_found')) return null;
      throw error;
    }
    const size = Number(stdout.trim().split('\n')[0]);
    if (!Number.isFinite(size) || size < 0) {
      throw new RuntimeError(
        `${cli.binary} image inspect printed no size: "${stdout.slice(0, 100)}"`,
        {
          code: 'engine_failed',
          command: [cli.binary, ...args],
        },
      );
    }
    return size;
  }

  async function remove(image: string): Promise<void> {
    try {
      await cli.run(['image', 'rm', image]);
    } catch (error) {
      // In use by a container made before the cap (or gone): refusing it is what matters.
      if (!isRuntimeError(error)) throw error;
      log.warn({ image, err: error }, 'an image over REXEC_MAX_IMAGE_MB could not be removed');
    }
  }

  return {
    async check(image) {
      if (maxImageMb === 0 || underCap.has(image)) return;
      const bytes = await sizeBytes(image);
      if (bytes === null) return;
      const sizeMb = Math.ceil(bytes / MIB);
      if (sizeMb <= maxImageMb) {
        underCap.add(image);
        return;
      }
      log.warn({ image, sizeMb, maxImageMb }, 'image over REXEC_MAX_IMAGE_MB; removing it');
      await remove(image);
      throw new RuntimeError(
        `image ${image} is ${sizeMb} MB, over this host's limit of ${maxImageMb} MB ` +
          '(REXEC_MAX_IMAGE_MB); it was removed',
        { code: 'image_too_large' },
      );
    },
    forget(image) {
      underCap.delete(image);
    },
  };
}
