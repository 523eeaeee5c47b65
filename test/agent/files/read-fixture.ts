// What the agent's file-read suites share: an engine binary that wraps the real one (its next N
// copies can fail with podman's storage race; it writes down each copy, each signal a copy got and
// how each copy ended) and a runner of one read operation to its end, as the file manager runs it.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChannelFrame, type AgentMessage, type FileOp } from '@rexec/protocol';
import { execa } from 'execa';
import type { Test } from 'tap';
import { startRead, startReadTar } from '../../../packages/agent/src/files/file-read.js';
import type { FileTask } from '../../../packages/agent/src/files/file-task.js';
import type { EngineKind } from '../../helpers/engine.js';
import type { capturedLog } from '../../helpers/captured-log.js';

export const RACE =
  'Error: lstat /var/lib/containers/storage/overlay/0f1e2d3c4b5a/merged: no such file or directory';

export interface WrappedEngine {
  binary: string;
  /** The next `count` copies fail with the storage race. */
  race(count: number): Promise<void>;
  /** How many copies ran (failed or not). */
  copies(): Promise<number>;
  /** The signals the copies got, in order (`TERM`, `INT`). */
  signals(): Promise<string[]>;
  /** The exit codes of the copies that ended, in order (128 + n for signal n). */
  exits(): Promise<number[]>;
}

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/**
 * The real engine behind a shell script. A copy runs as the script's child, so the script sees a
 * SIGTERM or SIGINT meant for it, writes it down and passes it on; stdin is handed over on fd 3
 * (sh gives a background job /dev/null).
 */
export async function wrappedEngine(t: Test, kind: EngineKind): Promise<WrappedEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-wrapped-engine-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const real = (await execa('sh', ['-c', `command -v ${kind}`])).stdout.trim();
  const binary = join(dir, kind);
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      'if [ "$1" = cp ]; then',
      `  echo cp >> '${dir}/copies'`,
      `  left=$(cat '${dir}/race-left' 2>/dev/null || echo 0)`,
      '  if [ "$left" -gt 0 ]; then',
      `    echo $((left - 1)) > '${dir}/race-left'`,
      `    echo '${RACE}' >&2`,
      '    exit 125',
      '  fi',
      '  exec 3<&0',
      `  '${real}' "$@" <&3 3<&- &`,
      '  pid=$!',
      `  trap 'echo TERM >> "${dir}/signals"; kill -TERM $pid' TERM`,
      `  trap 'echo INT >> "${dir}/signals"; kill -INT $pid' INT`,
      '  wait $pid; code=$?',
      '  while kill -0 $pid 2>/dev/null; do wait $pid; code=$?; done',
      `  echo $code >> '${dir}/exits'`,
      '  exit $code',
      'fi',
      `exec '${real}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return {
    binary,
    race: (count) => writeFile(join(dir, 'race-left'), `${count}\n`),
    copies: async () => (await lines(join(dir, 'copies'))).length,
    signals: () => lines(join(dir, 'signals')),
    exits: async () => (await lines(join(dir, 'exits'))).map(Number),
  };
}

export interface Outcome {
  messages: AgentMessage[];
  bytes: Buffer;
}

export interface ReadOptions {
  /** TaskContext.repairStorage; by default nothing is repaired. */
  repairStorage?: (stderr: string) => Promise<boolean>;
  /** Called with the task once the first bytes arrived (to cancel it, say). */
  onFirstBytes?: (task: FileTask) => void;
}

/** Runs one read operation to its end, granting all the credit it wants. */
export function runRead(
  binary: string,
  id: string,
  op: Extract<FileOp, { kind: 'read' | 'read_tar' }>,
  log: ReturnType<typeof capturedLog>['log'],
  options: ReadOptions = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const messages: AgentMessage[] = [];
    const chunks: Buffer[] = [];
    let task: FileTask | null = null;
    const context = {
      binary,
      channel: 7,
      containerId: id,
      log,
      outputWindowBytes: 1 << 24,
      link: {
        send(message: AgentMessage) {
          messages.push(message);
          return true;
        },
        sendFrame(frame: Uint8Array) {
          const decoded = decodeChannelFrame(frame);
          if (decoded.ok) chunks.push(Buffer.from(decoded.value.payload));
          if (chunks.length === 1 && task !== null) options.onFirstBytes?.(task);
          return true;
        },
      },
      repairStorage: options.repairStorage ?? (() => Promise.resolve(false)),
      onEnd: () => setImmediate(() => resolve({ messages, bytes: Buffer.concat(chunks) })),
    };
    task = op.kind === 'read' ? startRead(context, op) : startReadTar(context, op);
  });
}

export const types = (outcome: Outcome): string[] =>
  outcome.messages.map((message) => message.type);
