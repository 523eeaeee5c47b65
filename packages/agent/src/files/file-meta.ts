// list, stat, remove, mkdir and move (PROTOCOL.md §9c): one `<engine> exec --user 0` of a script
// from meta-scripts.ts in the running container, its exit code mapped to a file error and its
// output parsed into entries. These need a running container (a stopped one answers
// container_not_running); reads and writes do not (file-read.ts, file-write.ts).
import { posix } from 'node:path';
import { execa } from 'execa';
import { containerName } from '../runtime/index.js';
import { engineFailure } from './engine-errors.js';
import { Ending, type FileTask, type OpOf, type TaskContext } from './file-task.js';
import { parseEntries } from './meta-output.js';
import { META_EXIT, META_SCRIPTS, type MetaKind } from './meta-scripts.js';

type MetaOp = OpOf<MetaKind>;

/** A script that has not finished in this long is killed (a hung filesystem, say). */
const META_TIMEOUT_MS = 60_000;
/** Engine exit codes of its own failures, not the script's. */
const ENGINE_EXITS = new Set([125, 126, 127]);

function scriptArgs(op: MetaOp): string[] {
  switch (op.kind) {
    case 'stat':
    case 'list':
      return [op.path];
    case 'remove':
      return [op.path, op.recursive ? '1' : '0'];
    case 'mkdir':
      return [op.path, op.parents ? '1' : '0'];
    case 'move':
      return [op.from, op.to];
  }
}

function pathOf(op: MetaOp): string {
  return op.kind === 'move' ? op.from : op.path;
}

function scriptFailure(op: MetaOp, code: number): { code: string; message: string } | null {
  switch (code) {
    case META_EXIT.NOT_FOUND:
      return op.kind === 'move' || op.kind === 'mkdir'
        ? {
            code: 'path_not_found',
            message: `${pathOf(op)} or its parent directory does not exist`,
          }
        : { code: 'path_not_found', message: `${pathOf(op)} does not exist` };
    case META_EXIT.NOT_A_DIRECTORY:
      return { code: 'not_a_directory', message: `${pathOf(op)} is not a directory` };
    case META_EXIT.EXISTS:
      return {
        code: 'path_exists',
        message: `${op.kind === 'move' ? op.to : pathOf(op)} already exists`,
      };
    case META_EXIT.NOT_EMPTY:
      return {
        code: 'directory_not_empty',
        message: `${pathOf(op)} is a directory that is not empty; pass recursive=true`,
      };
    default:
      return null;
  }
}

export function startMeta(context: TaskContext, op: MetaOp): FileTask {
  const ending = new Ending(context);
  const child = execa(
    context.binary,
    [
      'exec',
      '--user',
      '0',
      containerName(context.containerId),
      '/bin/sh',
      '-c',
      META_SCRIPTS[op.kind],
      'rexec-files',
      ...scriptArgs(op),
    ],
    {
      reject: false,
      encoding: 'buffer',
      stdin: 'ignore',
      timeout: META_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  void child.then((result) => {
    if (ending.ended) return;
    const stderr = Buffer.from(result.stderr).toString('utf8');
    const code = result.exitCode;
    if (code === undefined || ENGINE_EXITS.has(code)) {
      const failure = engineFailure(stderr, `the engine could not run ${op.kind}`);
      ending.fail(
        failure.code === 'path_not_found' ? 'file_failed' : failure.code,
        failure.message,
      );
      return;
    }
    if (code !== 0) {
      const known = scriptFailure(op, code);
      if (known !== null) ending.fail(known.code, known.message);
      else
        ending.fail('file_failed', stderr.trim().split('\n')[0] || `${op.kind} failed (${code})`);
      return;
    }
    if (op.kind === 'remove') {
      ending.done();
      return;
    }
    let parsed;
    try {
      parsed = parseEntries(Buffer.from(result.stdout));
    } catch (error) {
      context.log.warn({ err: error, op: op.kind }, 'unexpected output of a file script');
      ending.fail('file_failed', `the container's tools gave unexpected output for ${op.kind}`);
      return;
    }
    if (op.kind === 'list') {
      ending.done({ entries: parsed.entries, truncated: parsed.truncated });
      return;
    }
    const [first] = parsed.entries;
    if (first === undefined) {
      ending.fail('file_failed', `no entry for ${pathOf(op)}`);
      return;
    }
    const resultPath = op.kind === 'move' ? op.to : op.path;
    ending.done({ entry: { ...first, name: posix.basename(resultPath) || '/' } });
  });
  return {
    credit: () => undefined,
    input: () => undefined,
    eof: () => undefined,
    cancel: () => {
      ending.fail('cancelled', `${op.kind} was cancelled`);
      child.kill();
    },
  };
}
