// Reads for the control plane (PROTOCOL.md §9c) through `<engine> cp CONTAINER:path -`, which
// resolves the path inside the container's root (symlinks included) and works on a stopped
// container too. `read` unpacks the one file from cp's tar and sends the asked range of its bytes;
// `read_tar` passes the tar through. Both send only within credit, pausing cp's pipe otherwise, and
// both copy again, after a repair, when the engine's storage of the container was left broken
// (runtime/left-mount.ts). A copy is never signalled: see letGo.
import { posix } from 'node:path';
import { resolveByteRange, type FileEntry } from '@rexec/protocol';
import { execa } from 'execa';
import { Parser, type ReadEntry } from 'tar';
import { containerName } from '../runtime/index.js';
import { engineFailure, isStorageRace, type FileFailure } from './engine-errors.js';
import { Ending, headOf, letGo, type FileTask, type OpOf, type TaskContext } from './file-task.js';
import { octalMode } from './meta-output.js';
import { Outbound } from './outbound.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
/** A copy that met the storage race is tried this many more times, this far apart. */
const STORAGE_RACE_RETRIES = 5;
const STORAGE_RACE_DELAY_MS = 200;
/** A read that ends with at most this much of its file unread drains the copy to its end. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

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

type CopyOut = ReturnType<typeof spawnCopyOut>;

interface CopyOutSteps {
  /** Connects a new copy's stdout to the operation. */
  wire(child: CopyOut): void;
  /** Whether the operation got anything from a copy yet (then a failure is never retried). */
  begun(): boolean;
  /** The last copy ended (by itself, or killed) and the operation has not: it decides what now. */
  exited(exitCode: number | undefined, failure: () => FileFailure): void;
}

/**
 * Runs `cp` out of the container for one read, again (up to STORAGE_RACE_RETRIES times) when it
 * failed with the engine's storage race before anything was read, after asking for the storage to
 * be repaired; any other failure ends the operation with the engine's error. `release()` lets go of
 * whichever copy runs (letGo: never a signal) and drops any pending retry.
 */
function copyOutRetrying(
  context: TaskContext,
  path: string,
  ending: Ending,
  steps: CopyOutSteps,
): { release(drain?: boolean): void } {
  let child: CopyOut | null = null;
  let retry: NodeJS.Timeout | null = null;
  let retries = 0;
  const again = (failure: string) => {
    retries += 1;
    context.log.info({ path, retries }, 'the engine could not mount the container; copying again');
    void context
      .repairStorage(failure)
      .catch((error: unknown) => {
        context.log.warn({ err: error, path }, 'could not repair the container storage');
        return false;
      })
      .then(() => {
        if (!ending.ended) retry = setTimeout(run, STORAGE_RACE_DELAY_MS);
      });
  };
  const run = () => {
    retry = null;
    if (ending.ended) return;
    const copy = spawnCopyOut(context, path);
    child = copy;
    const stderr = headOf(copy.stderr);
    steps.wire(copy);
    void copy.then((result) => {
      if (ending.ended) return;
      const failed = result.exitCode !== 0;
      if (failed && !steps.begun() && isStorageRace(stderr()) && retries < STORAGE_RACE_RETRIES) {
        again(stderr());
        return;
      }
      steps.exited(result.exitCode, () => engineFailure(stderr()));
    });
  };
  run();
  return {
    release(drain = false) {
      if (retry !== null) clearTimeout(retry);
      retry = null;
      if (child !== null) letGo(child, 'stdout', drain);
    },
  };
}

export function startRead(context: TaskContext, op: OpOf<'read'>): FileTask {
  const ending = new Ending(context);
  const out = new Outbound(context.link, context.channel, context.outputWindowBytes);
  let found = false;
  const copy = copyOutRetrying(context, op.path, ending, {
    wire(child) {
      const parser = new Parser();
      parser.on('entry', onEntry);
      parser.on('error', (error: Error) => {
        context.log.warn({ err: error }, 'could not read the tar of a file read');
        ending.fail('file_failed', `the engine's copy of ${op.path} could not be read`);
        copy.release();
      });
      child.stdout.pipe(parser);
    },
    begun: () => found,
    exited(exitCode, failure) {
      // Once the file was found, its own end finishes the read (and lets go of the copy).
      if (found) return;
      if (exitCode === 0) ending.fail('file_failed', `the engine sent nothing for ${op.path}`);
      else {
        const { code, message } = failure();
        ending.fail(code, message);
      }
    },
  });
  // The copy is let go of by draining it when little of the file is left (it then unmounts the
  // container itself), else by closing its pipe.
  const finish = (unread: number) => {
    ending.done({ bytes: out.sentBytes });
    copy.release(unread <= DRAIN_LIMIT_BYTES);
  };
  function onEntry(entry: ReadEntry): void {
    if (found || ending.ended) {
      entry.resume();
      return;
    }
    found = true;
    if (entry.type === 'Directory') {
      ending.fail('is_a_directory', `${op.path} is a directory; ask for archive=tar`);
      copy.release();
      return;
    }
    if (!FILE_TYPES.has(entry.type)) {
      ending.fail('file_failed', `${op.path} is not a regular file (${entry.type})`);
      copy.release();
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
      finish(size);
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
      if (at > span.end) out.whenDrained(() => finish(size - at));
    });
    entry.on('end', () => out.whenDrained(() => finish(0)));
  }
  return {
    credit: (bytes) => out.credit(bytes),
    input: () => undefined,
    eof: () => undefined,
    cancel: () => {
      out.discard();
      ending.fail('cancelled', 'the read was cancelled');
      copy.release();
    },
  };
}

export function startReadTar(context: TaskContext, op: OpOf<'read_tar'>): FileTask {
  const ending = new Ending(context);
  const out = new Outbound(context.link, context.channel, context.outputWindowBytes);
  let started = false;
  const copy = copyOutRetrying(context, op.path, ending, {
    wire(child) {
      out.attach(child.stdout);
      child.stdout.on('data', (chunk: Buffer) => {
        if (ending.ended) return;
        if (!started) {
          started = true;
          context.link.send({ type: 'AGENT_FILE_READY', channel: context.channel });
        }
        out.push(chunk);
      });
    },
    begun: () => started,
    exited(exitCode, failure) {
      if (exitCode !== 0) {
        const { code, message } = failure();
        ending.fail(code, message);
        return;
      }
      if (!started) context.link.send({ type: 'AGENT_FILE_READY', channel: context.channel });
      out.whenDrained(() => ending.done({ bytes: out.sentBytes }));
    },
  });
  return {
    credit: (bytes) => out.credit(bytes),
    input: () => undefined,
    eof: () => undefined,
    cancel: () => {
      out.discard();
      ending.fail('cancelled', 'the read was cancelled');
      copy.release();
    },
  };
}
