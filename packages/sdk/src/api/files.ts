// The files API (DESIGN §8.2) for any runtime with fetch: write and read one file as bytes or as
// a stream, list, stat, remove, mkdir, move, and tar streams of whole trees. Bodies are streamed
// through fetch, never gathered here unless a method says it returns a buffer. Packing a local
// directory is Node's (files/node-files.ts).
import { ArchiveWritten, FileList, FileStat, FileWritten, type FileEntry } from '@rexec/protocol';
import { decode } from '../http/decode.js';
import type { HttpClient, RawBody } from '../http/http-client.js';
import { segment } from './path.js';

export interface WriteOptions {
  /** Permission bits in octal (`0755`); 0644 when left out. */
  mode?: string;
  /** Create missing parent directories. */
  parents?: boolean;
}

/** Inclusive byte offsets, as HTTP ranges: `{start: 0, end: 99}` is the first 100 bytes. */
export type ReadRange = { start: number; end?: number } | { suffix: number };

export type WriteData =
  string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function rangeHeader(range: ReadRange | undefined): Record<string, string> {
  if (range === undefined) return {};
  if ('suffix' in range) return { range: `bytes=-${range.suffix}` };
  return { range: `bytes=${range.start}-${range.end ?? ''}` };
}

export class Files {
  constructor(protected readonly http: HttpClient) {}

  #path(ref: string, tail = ''): string {
    return `/containers/${segment(ref, 'container')}/files${tail}`;
  }

  /** Creates or replaces the file `path` with `data` (streamed when it is a stream). */
  async write(ref: string, path: string, data: WriteData, options: WriteOptions = {}) {
    const body: RawBody = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const response = await this.http.raw('PUT', this.#path(ref), {
      body,
      query: {
        path,
        mode: options.mode,
        parents: options.parents === undefined ? undefined : String(options.parents),
      },
      headers: { 'content-type': 'application/octet-stream' },
    });
    return decode(FileWritten, await jsonAnswer(response), 'PUT /containers/:id/files');
  }

  /** The bytes of a file (or of `range` of it), gathered in memory: use readStream for big ones. */
  async read(ref: string, path: string, options: { range?: ReadRange } = {}): Promise<Uint8Array> {
    const response = await this.#get(ref, path, options.range);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The file as UTF-8 text. */
  async readText(ref: string, path: string): Promise<string> {
    return new TextDecoder().decode(await this.read(ref, path));
  }

  /** The bytes of a file as a stream, with its size (of the whole file) from the answer. */
  async readStream(
    ref: string,
    path: string,
    options: { range?: ReadRange } = {},
  ): Promise<{ body: ReadableStream<Uint8Array>; size: number | null }> {
    const response = await this.#get(ref, path, options.range);
    return { body: bodyOf(response), size: sizeOf(response) };
  }

  /** A tar of `path` (a directory or a file), streamed. */
  async downloadTar(ref: string, path: string): Promise<ReadableStream<Uint8Array>> {
    const response = await this.http.raw('GET', this.#path(ref), {
      query: { path, archive: 'tar' },
    });
    return bodyOf(response);
  }

  /** Extracts a tar stream into the existing directory `path`; answers how many entries it held. */
  async uploadTar(ref: string, path: string, tar: WriteData): Promise<ArchiveWritten> {
    const response = await this.http.raw('PUT', this.#path(ref), {
      body: typeof tar === 'string' ? new TextEncoder().encode(tar) : tar,
      query: { path, archive: 'tar' },
      headers: { 'content-type': 'application/x-tar' },
    });
    return decode(ArchiveWritten, await jsonAnswer(response), 'PUT /containers/:id/files');
  }

  async list(ref: string, path: string): Promise<FileList> {
    const answer = await this.http.send('GET', this.#path(ref, '/list'), { query: { path } });
    return decode(FileList, answer, 'GET /containers/:id/files/list');
  }

  async stat(ref: string, path: string): Promise<FileStat> {
    const answer = await this.http.send('GET', this.#path(ref, '/stat'), { query: { path } });
    return decode(FileStat, answer, 'GET /containers/:id/files/stat');
  }

  /** Removes a file, symlink or empty directory; `recursive` for a directory with contents. */
  async remove(ref: string, path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.http.send('DELETE', this.#path(ref), {
      query: { path, recursive: options.recursive === true ? 'true' : undefined },
    });
  }

  async mkdir(ref: string, path: string, options: { parents?: boolean } = {}): Promise<FileStat> {
    const answer = await this.http.send('POST', this.#path(ref, '/mkdir'), {
      body: { path, ...(options.parents === undefined ? {} : { parents: options.parents }) },
    });
    return decode(FileStat, answer, 'POST /containers/:id/files/mkdir');
  }

  async move(ref: string, from: string, to: string): Promise<FileStat> {
    const answer = await this.http.send('POST', this.#path(ref, '/move'), { body: { from, to } });
    return decode(FileStat, answer, 'POST /containers/:id/files/move');
  }

  #get(ref: string, path: string, range: ReadRange | undefined): Promise<Response> {
    return this.http.raw('GET', this.#path(ref), { query: { path }, headers: rangeHeader(range) });
  }
}

export type { FileEntry };

function bodyOf(response: Response): ReadableStream<Uint8Array> {
  return response.body ?? new ReadableStream({ start: (controller) => controller.close() });
}

/** The whole file's size: from Content-Range on a 206, else Content-Length. */
function sizeOf(response: Response): number | null {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  const value = range?.[1] ?? response.headers.get('content-length');
  return value === null || value === undefined ? null : Number(value);
}

async function jsonAnswer(response: Response) {
  const text = await response.text();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    json: text === '' ? undefined : (JSON.parse(text) as unknown),
    text,
  };
}
