// The tar framing of one uploaded file, written by hand around the streamed body so the agent
// never holds the file: header (with a PAX record for long names) before it, zero padding to the
// 512-byte block and the two-block end marker after it. node-tar encodes the headers.
import { Header, Pax } from 'tar';

const BLOCK = 512;

export function fileHeader(entryPath: string, size: number, mode: number, mtime: Date): Buffer {
  const data = { path: entryPath, mode, size, mtime, type: 'File' as const, uid: 0, gid: 0 };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header(data).encode(block);
  return needPax ? Buffer.concat([new Pax(data).encode(), block]) : block;
}

/** Padding after a body of `size` bytes plus the end-of-archive marker. */
export function fileTrailer(size: number): Buffer {
  const padding = (BLOCK - (size % BLOCK)) % BLOCK;
  return Buffer.alloc(padding + 2 * BLOCK);
}
