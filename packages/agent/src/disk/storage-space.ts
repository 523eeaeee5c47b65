// Free space where the engine keeps images and containers (REXEC_MIN_FREE_DISK_MB): measured with
// statfs for every heartbeat (cheap: one syscall), and checked before each create, which is refused
// with `insufficient_disk` while the space is under the minimum, so a full disk stops new work
// instead of breaking the containers already there. Skipping the host is the scheduler's, from
// the heartbeat's `storage`.
import { statfs } from 'node:fs/promises';
import type { HostStorage } from '@rexec/protocol';

const MIB = 1024 * 1024;
export const DEFAULT_MIN_FREE_DISK_MB = 1024;

export interface StorageSpaceOptions {
  /** The engine's storage directory (capacity.ts STORAGE_PATHS). */
  path: string;
  /** Below this many MB free, creates are refused; 0 turns the check off. */
  minFreeMb: number;
}

export interface StorageSpace {
  /** Free MB and whether it is under the minimum; null when the path cannot be measured (yet). */
  measure(): Promise<HostStorage | null>;
  /** Throws StorageLowError while the free space is under the minimum. */
  assertRoom(): Promise<void>;
}

/** Thrown before a create while the engine's storage has less free space than REXEC_MIN_FREE_DISK_MB. */
export class StorageLowError extends Error {
  readonly code = 'insufficient_disk';

  constructor(
    readonly freeMb: number,
    readonly minFreeMb: number,
    readonly path: string,
  ) {
    super(
      `this host's container storage (${path}) has ${freeMb} MB free, under its minimum of ` +
        `${minFreeMb} MB (REXEC_MIN_FREE_DISK_MB); new containers are refused until space is freed`,
    );
    this.name = 'StorageLowError';
  }
}

export function createStorageSpace(options: StorageSpaceOptions): StorageSpace {
  async function measure(): Promise<HostStorage | null> {
    let stats;
    try {
      stats = await statfs(options.path);
    } catch {
      // The engine makes the directory on first use; not measurable yet is not low.
      return null;
    }
    const freeMb = Math.floor((stats.bavail * stats.bsize) / MIB);
    return { free_mb: freeMb, low: freeMb < options.minFreeMb };
  }
  return {
    measure,
    async assertRoom() {
      if (options.minFreeMb === 0) return;
      const storage = await measure();
      if (storage?.low === true) {
        throw new StorageLowError(storage.free_mb, options.minFreeMb, options.path);
      }
    },
  };
}
