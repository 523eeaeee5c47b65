// Uploads (PROTOCOL.md §9c) through `<engine> cp - CONTAINER:dir`, which extracts a tar inside the
// container's root (symlinks resolved there) and works on a stopped container too. `write` frames
// the body as a one-entry tar around the streamed bytes; `write_tar` passes the client's tar
// through. A body of known size streams straight into cp after the limits were checked; one of
// unknown size (chunked) is first spooled to a temporary file counted against the limits, so a
// refused upload never reaches the container. Bytes are credited once written onward.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { FILE_WINDOW_BYTES, type FileEntry } from '@rexec/protocol';
import { execa } from 'execa';
import { Parser, type ReadEntry } from 'tar';
import { containerName } from '../runtime/index.js';
import { engineFailure, isStorageRace, type FileFailure } from './engine-errors.js';
import { Ending, headOf, letGo, type FileTask, type OpOf, type TaskContext } from './file-task.js';
import { fileHeader, fileTrailer } from './tar-header.js';

type WriteOp = OpOf<'write'> | OpOf<'write_tar'>;

/** Where the tar is extracted and under which name the file goes (write) */
function target(op: WriteOp): { directory: string; entryName: string | null } {
  if (op.kind === 'write_tar') return { directory: op.path, entryName: null };
  return op.parents
    ? { directory: '/', entryName: op.path.slice(1) }
    : { directory: posix.dirname(op.path), entryName: posix.basename(op.path) };
}

/** The limit a body of `bytes` breaks, if any. */
function overLimit(op: WriteOp, bytes: number): { code: string; message: string } | null {
  if (bytes > op.max_bytes) {
    return {
      code: 'payload_too_large',
      message: `uploads are limited to ${op.max_bytes} bytes`,
    };
  }
  if (op.quota_bytes !== null && bytes > op.quota_bytes) {
    return {
      code: 'disk_quota_exceeded',
      message: `the upload needs ${bytes} bytes but ${op.quota_bytes} are left of the disk quota`,
    };
  }
  return null;
}

export function startWrite(context: TaskContext, op: WriteOp): FileTask {
  const ending = new Ending(context);
  const { directory, entryName } = target(op);
  const mode = op.kind === 'write' ? parseInt(op.mode, 8) : 0;
  const modifiedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  let received = 0;
  let files = 0;
  const counter = op.kind === 'write_tar' ? new Parser() : null;
  counter?.on('entry', (entry: ReadEntry) => {
    files += 1;
    entry.resume();
  });
  counter?.on('error', () => undefined);

  const early = op.size === null ? null : overLimit(op, op.size);
  if (early !== null) {
    ending.fail(early.code, early.message);
    return {
      credit: () => undefined,
      input: () => undefined,
      eof: () => undefined,
      cancel: () => undefined,
    };
  }

  // Credit goes back in grants of an eighth of the window, or at once when nothing waits to be
  // written, so a fast upload is not one message per frame and a slow one is never held back.
  let owed = 0;
  const credit = (bytes: number, pending: number) => {
    owed += bytes;
    if (ending.ended || owed === 0) return;
    if (owed < FILE_WINDOW_BYTES / 8 && pending > 0) return;
    context.link.send({ type: 'AGENT_FILE_CREDIT', channel: context.channel, bytes: owed });
    owed = 0;
  };

  let copy: ReturnType<typeof spawnCopyIn> | null = null;
  let spool: { path: string; stream: WriteStream } | null = null;
  const dropSpool = () => {
    if (spool === null) return;
    const { path, stream } = spool;
    spool = null;
    stream.destroy();
    rm(path, { force: true }).catch((error: unknown) => {
      context.log.warn({ err: error, path }, 'could not remove an upload spool file');
    });
  };
  const fail = (code: string, message: string) => {
    ending.fail(code, message);
    if (copy !== null) letGo(copy.child, 'stdin');
    dropSpool();
  };

  const startCopy = (size: number) => {
    copy = spawnCopyIn(context, directory);
    const { child, stderr } = copy;
    child.stdin.on('error', (error) => context.log.debug({ err: error }, 'cp stdin closed early'));
    if (entryName !== null) child.stdin.write(fileHeader(entryName, size, mode, modifiedAt));
    void child.then((result) => {
      dropSpool();
      if (ending.ended) return;
      if (result.exitCode !== 0) {
        const failure = engineFailure(stderr());
        // The bytes are gone with this copy; the storage is repaired for the write made again.
        if (isStorageRace(stderr())) void repairThenFail(context, ending, stderr(), failure);
        else ending.fail(failure.code, failure.message);
        return;
      }
      if (op.kind === 'write_tar') ending.done({ files });
      else ending.done({ entry: written(op.path, size, mode, modifiedAt) });
    });
    return child;
  };

  if (op.size !== null) {
    const child = startCopy(op.size);
    context.link.send({
      type: 'AGENT_FILE_READY',
      channel: context.channel,
      input_window_bytes: FILE_WINDOW_BYTES,
    });
    return {
      credit: () => undefined,
      input(payload) {
        if (ending.ended) return;
        received += payload.byteLength;
        if (received > (op.size ?? 0)) {
          fail('invalid_request', `the body is longer than its ${op.size} bytes`);
          return;
        }
        counter?.write(Buffer.from(payload));
        child.stdin.write(payload, () => credit(payload.byteLength, child.stdin.writableLength));
      },
      eof() {
        if (ending.ended) return;
        if (received !== op.size) {
          fail('invalid_request', `the body ended after ${received} of ${op.size} bytes`);
          return;
        }
        counter?.end();
        child.stdin.end(entryName === null ? undefined : fileTrailer(received));
      },
      cancel: () => fail('cancelled', 'the upload was cancelled'),
    };
  }

  const spoolPath = join(tmpdir(), `rexec-upload-${randomBytes(12).toString('hex')}`);
  spool = { path: spoolPath, stream: createWriteStream(spoolPath, { mode: 0o600 }) };
  spool.stream.on('error', (error) => {
    context.log.error({ err: error, path: spoolPath }, 'could not spool an upload');
    fail('file_failed', 'the agent could not hold the upload');
  });
  context.link.send({
    type: 'AGENT_FILE_READY',
    channel: context.channel,
    input_window_bytes: FILE_WINDOW_BYTES,
  });
  return {
    credit: () => undefined,
    input(payload) {
      if (ending.ended || spool === null) return;
      received += payload.byteLength;
      const over = overLimit(op, received);
      if (over !== null) {
        fail(over.code, over.message);
        return;
      }
      counter?.write(Buffer.from(payload));
      const { stream } = spool;
      stream.write(payload, () => credit(payload.byteLength, stream.writableLength));
    },
    eof() {
      if (ending.ended || spool === null) return;
      counter?.end();
      const { stream, path } = spool;
      stream.end(() => {
        void stat(path).then(
          (info) => {
            if (ending.ended) return;
            const child = startCopy(info.size);
            const body = createReadStream(path);
            body.on('error', (error) => {
              context.log.error({ err: error }, 'could not read an upload spool file');
              fail('file_failed', 'the agent could not read back the upload');
            });
            body.on('end', () =>
              child.stdin.end(entryName === null ? undefined : fileTrailer(info.size)),
            );
            body.pipe(child.stdin, { end: false });
          },
          (error: unknown) => {
            context.log.error({ err: error }, 'spooled upload is gone');
            fail('file_failed', 'the agent lost the upload');
          },
        );
      });
    },
    cancel: () => fail('cancelled', 'the upload was cancelled'),
  };
}

/** Ends a write whose copy met the engine's broken storage once that is repaired (or could not be). */
async function repairThenFail(
  context: TaskContext,
  ending: Ending,
  stderr: string,
  failure: FileFailure,
): Promise<void> {
  const repaired = await context.repairStorage(stderr).catch((error: unknown) => {
    context.log.warn({ err: error }, 'could not repair the container storage');
    return false;
  });
  const message = repaired
    ? `${failure.message} (the engine's storage of the container was repaired: write again)`
    : failure.message;
  ending.fail(failure.code, message);
}

function spawnCopyIn(context: TaskContext, directory: string) {
  const child = execa(
    context.binary,
    ['cp', '-', `${containerName(context.containerId)}:${directory}`],
    {
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stdin: 'pipe',
      stdout: 'ignore',
      stderr: 'pipe',
    },
  );
  return { child, stderr: headOf(child.stderr) };
}

function written(path: string, size: number, mode: number, at: Date): FileEntry {
  return {
    name: posix.basename(path),
    type: 'file',
    size,
    mode: (mode & 0o7777).toString(8).padStart(4, '0'),
    modified_at: at.toISOString(),
  };
}
