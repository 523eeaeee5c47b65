// `rexec cp <local> <name>:/path`, `rexec cp <name>:/path <local>` and the file listing behind
// `rexec ls <name>:/path`. A local directory goes up as a tar stream (modes and symlinks kept); a
// remote path comes down as the file's bytes, or, when it is a directory, as a tar extracted
// locally. Transfers stream end to end; on a TTY a progress line shows bytes moved.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileList } from '@rexec/protocol';
import { RexecError } from '../../errors.js';
import type { RexecClient } from '../../node.js';
import type { Command, CommandContext } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { progress } from '../progress.js';
import { table } from '../table.js';

/** Transfers smaller than this finish before a progress line would help. */
const PROGRESS_FROM_BYTES = 4 * 1024 * 1024;

export interface RemotePath {
  container: string;
  path: string;
}

/** `name:/abs/path` → its parts; undefined for a local path (no colon before a slash). */
export function remotePath(text: string): RemotePath | undefined {
  const match = /^([A-Za-z0-9_-]+):(\/.*)$/.exec(text);
  if (match === null) return undefined;
  return { container: match[1] ?? '', path: match[2] ?? '/' };
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Counts bytes through a stream and draws them on a TTY once the transfer is big enough. */
function meter(context: CommandContext, verb: string, total: number | null) {
  const line = total !== null && total < PROGRESS_FROM_BYTES ? null : progress(context.io.stderr);
  let moved = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      moved += chunk.byteLength;
      if (line !== null && (total === null || total >= PROGRESS_FROM_BYTES)) {
        const share =
          total === null || total === 0 ? '' : ` (${Math.floor((moved / total) * 100)}%)`;
        line.update(
          `${verb} ${megabytes(moved)}${total === null ? '' : ` of ${megabytes(total)}`}${share}`,
        );
      }
      done(null, chunk);
    },
  });
  return { counter, stop: () => line?.stop() };
}

async function upload(
  context: CommandContext,
  client: RexecClient,
  local: string,
  remote: RemotePath,
) {
  const info = await stat(local).catch((error: unknown) => {
    throw new UsageError(`cannot read ${local}: ${(error as Error).message}`, { cause: error });
  });
  if (info.isDirectory()) {
    const result = await client.files.upload(remote.container, local, remote.path);
    return context.json
      ? context.printJson(result)
      : context.print(
          `Copied ${local} into ${remote.container}:${remote.path} (${result.files} entries).`,
        );
  }
  // `cp file name:/dir/` keeps the file's name, as cp(1) does.
  const target = remote.path.endsWith('/') ? `${remote.path}${basename(local)}` : remote.path;
  const { counter, stop } = meter(context, 'uploading', info.size);
  try {
    const body = Readable.from(createReadStream(local).pipe(counter));
    const mode = `0${(info.mode & 0o777).toString(8).padStart(3, '0')}`;
    const written = await client.files.write(
      remote.container,
      target,
      body as AsyncIterable<Uint8Array>,
      { mode },
    );
    stop();
    return context.json
      ? context.printJson(written)
      : context.print(
          `Copied ${local} to ${remote.container}:${written.path} (${megabytes(written.size)}).`,
        );
  } finally {
    stop();
  }
}

async function download(
  context: CommandContext,
  client: RexecClient,
  remote: RemotePath,
  local: string,
) {
  let opened;
  try {
    opened = await client.files.readStream(remote.container, remote.path);
  } catch (error) {
    if (error instanceof RexecError && error.code === 'is_a_directory') {
      await client.files.download(remote.container, remote.path, local);
      return context.json
        ? context.printJson({ path: remote.path, to: local })
        : context.print(`Copied ${remote.container}:${remote.path} into ${local}.`);
    }
    throw error;
  }
  const isDirectory = await stat(local).then(
    (info) => info.isDirectory(),
    () => false,
  );
  const target = isDirectory ? join(local, basename(remote.path)) : local;
  const { counter, stop } = meter(context, 'downloading', opened.size);
  try {
    await pipeline(
      // Needed where DOM lib types are loaded too (the test project): two ReadableStream types.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      Readable.fromWeb(opened.body as unknown as NodeReadableStream<Uint8Array>),
      counter,
      createWriteStream(target),
    );
  } finally {
    stop();
  }
  return context.json
    ? context.printJson({ path: remote.path, to: target, size: opened.size })
    : context.print(`Copied ${remote.container}:${remote.path} to ${target}.`);
}

export const cp: Command = {
  name: 'cp',
  usage: 'rexec cp <local> <name|id>:/path   |   rexec cp <name|id>:/path <local>',
  summary: 'copy a file or directory into or out of a container (works stopped too)',
  options: {},
  positionals: { min: 2, max: 2, names: '<source> <destination>' },
  async run(context) {
    const [from = '', to = ''] = context.positionals;
    const source = remotePath(from);
    const destination = remotePath(to);
    if ((source === undefined) === (destination === undefined)) {
      throw new UsageError('cp copies between a local path and <name>:/path (exactly one of each)');
    }
    const client = await context.client();
    if (destination !== undefined) await upload(context, client, from, destination);
    else if (source !== undefined) await download(context, client, source, to);
    return ExitCode.OK;
  },
};

/** `rexec ls <name>:/path`: the directory's entries. */
export async function listFiles(context: CommandContext, remote: RemotePath): Promise<number> {
  const client = await context.client();
  const listing: FileList = await client.files.list(remote.container, remote.path);
  if (context.json) context.printJson(listing);
  else if (listing.entries.length === 0) context.print(`${remote.path} is empty.`);
  else {
    context.print(
      table(
        ['MODE', 'SIZE', 'MODIFIED', 'NAME'],
        listing.entries.map((entry) => [
          `${entry.type === 'directory' ? 'd' : entry.type === 'symlink' ? 'l' : '-'}${entry.mode}`,
          entry.size,
          entry.modified_at.slice(0, 19).replace('T', ' '),
          entry.link_target === undefined ? entry.name : `${entry.name} -> ${entry.link_target}`,
        ]),
      ),
    );
  }
  return ExitCode.OK;
}
