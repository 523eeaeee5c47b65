// Repairs a container whose root filesystem podman counts as mounted with no mount point left.
// podman's storage counts the mounts of a container's root filesystem (mountpoints.json); when the
// count drops to zero it unmounts `…/merged`, removes the directory, then writes the count down.
// podman exits at once on SIGTERM, wherever it is, so one that ends between the removal and the
// write (an agent stopped with its copies, a timed-out call) leaves the count above zero and no
// directory. The engine trusts its count: every later `cp` and `start` of that container fails with
// `lstat …/merged: no such file or directory`, for good. `podman umount --force` sets the count
// back to zero. It must never run on a running or paused container (it pulls the root filesystem
// from under it), nor while the directory exists (a copy may be reading through that mount).
import { lstat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ObservedContainer, RuntimeKind } from './types.js';

const LEFT_MOUNTED = /lstat (\/\S*\/merged): no such file or directory/i;

/** The mount point an engine failure says is missing, or null when it says something else. */
export function leftMountPath(failure: string): string | null {
  return LEFT_MOUNTED.exec(failure)?.[1] ?? null;
}

/** An engine failure's words: a RuntimeError's message and stderr, or any error's message. */
export function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' ? `${error.message}\n${stderr}` : error.message;
}

export interface LeftMountDeps {
  kind: RuntimeKind;
  find(containerId: string): Promise<ObservedContainer | null>;
  run(args: readonly string[]): Promise<string>;
  log: Logger;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Clears podman's count of the container's mounts when `failure` names a missing mount point, the
 * directory is still missing, and the container is neither running nor paused; true when it did
 * (the failed call can then be made again). Callers keep other operations on the container out
 * meanwhile (the agent's per-container command queue).
 */
export async function repairLeftMount(
  deps: LeftMountDeps,
  containerId: string,
  failure: string,
): Promise<boolean> {
  const path = leftMountPath(failure);
  if (path === null || deps.kind !== 'podman') return false;
  const observed = await deps.find(containerId);
  if (observed === null || observed.state === 'running' || observed.state === 'paused') {
    return false;
  }
  if (await exists(path)) return false;
  await deps.run(['umount', '--force', observed.engineId]);
  deps.log.warn(
    { containerId, path },
    'podman counted the container root filesystem as mounted with its mount point gone ' +
      '(a podman process ended while unmounting it); reset the count',
  );
  return true;
}
