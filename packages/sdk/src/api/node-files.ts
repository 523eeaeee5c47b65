// Files with local directories, for Node: `upload(dir)` packs a local tree into a tar stream
// (modes and symlinks kept) and extracts it in the container; `download(dir)` does the reverse.
// Both stream through node-tar and fetch, so a tree of any size is never held in memory.
import { mkdir } from 'node:fs/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveWritten } from '@rexec/protocol';
import * as tar from 'tar';
import { Files } from './files.js';

export class NodeFiles extends Files {
  /**
   * Uploads the contents of the local directory `localDir` into the container directory
   * `remoteDir` (which must exist; see mkdir).
   */
  async upload(ref: string, localDir: string, remoteDir: string): Promise<ArchiveWritten> {
    const packed = tar.create({ cwd: localDir, portable: true }, ['.']);
    return this.uploadTar(ref, remoteDir, Readable.from(packed) as AsyncIterable<Uint8Array>);
  }

  /**
   * Downloads `remotePath` (a directory or a file) into the local directory `localDir`, created
   * if missing: `/srv/app` lands as `localDir/app`. Absolute symlink targets are kept as they are.
   */
  async download(ref: string, remotePath: string, localDir: string): Promise<void> {
    await mkdir(localDir, { recursive: true });
    const body = await this.downloadTar(ref, remotePath);
    await pipeline(
      // Needed where DOM lib types are loaded too (the test project): two ReadableStream types.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>),
      tar.extract({ cwd: localDir, preservePaths: false }),
    );
  }
}
