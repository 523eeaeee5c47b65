// What every files route checks before it reaches the agent: the caller's container (another
// user's is 404), a state the operation can work in, a connected host, and a normalised path.
// Reads and writes work on a stopped container; list, stat, remove, mkdir and move need it running.
// A host whose agent socket another replica holds is served through that replica.
import { posix } from 'node:path';
import { hostUnavailable, invalidState, unavailable } from '../../errors.js';
import type { FileService, FileTarget } from '../../files/index.js';
import { forwardedFileService } from '../../files/forwarded-files.js';
import type { CommandChannel } from '../../hub/channel.js';
import type { ContainerRow } from '../../db/schema/containers.js';
import type { ReplicaForwarding } from '../route-dependencies.js';
import { holderFor } from './exec-forward.js';

export type FileAccess = 'transfer' | 'metadata';

/** `/a/../b//c/` → `/b/c`: `..` cannot climb above `/`; the container resolves symlinks. */
export function normalisePath(path: string): string {
  const normal = posix.normalize(path).replace(/^\/+/, '/');
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export async function fileTarget(
  row: ContainerRow,
  access: FileAccess,
  hub: CommandChannel,
  files: FileService | undefined,
  forwarding: ReplicaForwarding | undefined,
): Promise<{ target: FileTarget; files: FileService }> {
  const usable = access === 'transfer' ? ['running', 'stopped'] : ['running'];
  if (!usable.includes(row.status)) {
    throw invalidState(
      access === 'transfer'
        ? `The container is ${row.status}; files can be read and written when it is running or stopped.`
        : `The container is ${row.status}; list, stat, remove, mkdir and move need it running.`,
      row.status,
    );
  }
  if (row.hostId === null) throw hostUnavailable();
  if (files === undefined) throw unavailable('This control plane does not serve files.');
  const target = { hostId: row.hostId, containerId: row.id };
  if (hub.isConnected(row.hostId)) return { target, files };
  const { holder, key } = await holderFor(forwarding, row.hostId, 'file operations');
  return { target, files: forwardedFileService(holder, key, files.maxUploadBytes) };
}

/** Aborts when the client goes away before the answer was written. */
export function clientGone(raw: {
  once(event: 'close', listener: () => void): unknown;
  writableFinished: boolean;
}): AbortSignal {
  const gone = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) gone.abort();
  });
  return gone.signal;
}
