// Reads for the control plane (PROTOCOL.md §9c) through `<engine> cp CONTAINER:path -`, which
// resolves the path inside the container's root (symlinks included) and works on a stopped
// container too. `read` unpacks the one file from cp's tar and sends the asked range of its bytes;
// `read_tar` passes the tar through. Both send only within credit, pausing cp's pipe otherwise.
import { posix } from 'node:path';
import { resolveByteRange, type FileEntry } from '@rexec/protocol';
import { execa } from 'execa';
import { Parser, type ReadEntry } from 'tar';
import { containerName } from '../runtime/index.js';
import { engineFailure } from './engine-errors.js';
import { Ending, headOf, type FileTask, type OpOf, type TaskContext } from './file-task.js';
import { octalMode } from './meta-output.js';
import { Outbound } from './outbound.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** `cp` out of a container; docker copies a symlink as itself unless told to follow it. */
export function copyOutArgs(binary: string, containerId: string, path: string): string[] {
  const follow = binary === 'docker' ? ['-L'] : [];
  return ['cp', ...follow, `${containerName(containerId)}:${path}`, '-'];
}

function spawnCopyOut(context: TaskContext, path: string) {
  return execa(context.binary, copyOutArgs(context.binary, context.containerId, path), {
    buffer: false,
    reject: false,
    encoding: 'buffer',
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
}

export function startRead(context: TaskContext, op: OpOf<'read'>): FileTask {
  const ending = new Ending(context);
  const out = new Outbound(context.link, context.channel, context.outputWindowBytes);
  const child = spawnCopyOut(context, op.path);
  const stderr = headOf(child.stderr);
  const parser = new Parser();
  let found = false;
  const finish = () => {
    ending.done({ bytes: out.sentBytes });
    child.kill();
  };
  parser.on('entry', (entry: ReadEntry) => {
    if (found || ending.ended) {
      entry.resume();
      return;
    }
    found = true;
    if (entry.type === 'Directory') {
      ending.fail('is_a_directory', `${op.path} is a directory; ask for archive=tar`);
      child.kill();
      return;
    }
    if (!FILE_TYPES.has(entry.type)) {
      ending.fail('file_failed', `${op.path} is not a regular file (${entry.type})`);
      child.kill();
      return;
    }
    const size = entry.size;
    const described: FileEntry = {
      name: posix.basename(op.path) || '/',
      type: 'file',
      size,
      mode: octalMode(entry.mode ?? 0o644),
      modified_at: (entry.mtime ?? new Date()).toISOString(),
    };
    context.link.send({ type: 'AGENT_FILE_READY', channel: context.channel, entry: described });
    const span =
      op.range === null
        ? size === 0
          ? null
          : { start: 0, end: size - 1 }
        : resolveByteRange(op.range, size);
    if (span === null) {
      finish();
      return;
    }
    let at = 0;
    out.attach(entry);
    entry.on('data', (chunk: Buffer) => {
      if (ending.ended) return;
      const from = Math.max(span.start - at, 0);
      const to = Math.min(span.end + 1 - at, chunk.byteLength);
      at += chunk.byteLength;
      if (to > from) out.push(chunk.subarray(from, to));
      if (at > span.end) out.whenDrained(finish);
    });
    entry.on('end', () => out.whenDrained(finish));
  });
  parser.on('error', (error: Error) => {
    context.log.warn({ err: error }, 'could not read the tar of a file read');
    ending.fail('file_failed', `the engine's copy of ${op.path} could not be read`);
    child.kill();
  });
  child.stdout.pipe(parser);
  void child.then((result) => {
    if (ending.ended || found) return;
    if (result.exitCode === 0) ending.fail('file_failed', `the engine sent nothing for ${op.path}`);
    else {
      const failure = engineFailure(stderr());
      ending.fail(failure.code, failure.message);
    }
  });
  return {
    credit: (bytes) => out.credit(bytes),
    input: () => undefined,
    eof: () => undefined,
    cancel: () => {
      out.discard();
      ending.fail('cancelled', 'the read was cancelled');
      child.kill();
    },
  };
}

export function startReadTar(context: TaskContext, op: OpOf<'read_tar'>): FileTask {
  const ending = new Ending(context);
  const out = new Outbound(context.link, context.channel, context.outputWindowBytes);
  const child = spawnCopyOut(context, op.path);
  const stderr = headOf(child.stderr);
  let started = false;
  out.attach(child.stdout);
  child.stdout.on('data', (chunk: Buffer) => {
    if (ending.ended) return;
    if (!started) {
      started = true;
      context.link.send({ type: 'AGENT_FILE_READY', channel: context.channel });
    }
    out.push(chunk);
  });
  void child.then((result) => {
    if (ending.ended) return;
    if (result.exitCode === 0) {
      if (!started) context.link.send({ type: 'AGENT_FILE_READY', channel: context.channel });
      out.whenDrained(() => ending.done({ bytes: out.sentBytes }));
      return;
    }
    const failure = engineFailure(stderr());
    ending.fail(failure.code, failure.message);
  });
  return {
    credit: (bytes) => out.credit(bytes),
    input: () => undefined,
    eof: () => undefined,
    cancel: () => {
      out.discard();
      ending.fail('cancelled', 'the read was cancelled');
      child.kill();
    },
  };
}
