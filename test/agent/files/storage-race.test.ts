// The engine's storage race on reads (podman 4.3): a `cp` out of a container that is stopping can
// fail with `lstat …/merged: no such file or directory` although the path exists. The engine here
// is a wrapper of the real one whose next N copies fail with exactly that message; the read then
// copies again and succeeds, one that keeps failing ends `file_failed` (never `path_not_found`),
// and a path that really is missing is reported at once, without a retry.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChannelFrame, type AgentMessage, type FileOp } from '@rexec/protocol';
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import { startRead, startReadTar } from '../../../packages/agent/src/files/file-read.js';
import { containerName } from '../../../packages/agent/src/runtime/index.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { BUSYBOX_IMAGE, requireEngine, type EngineKind } from '../../helpers/engine.js';
import { containerId } from '../agent-fixture.js';

const RACE =
  'Error: lstat /var/lib/containers/storage/overlay/0f1e2d3c4b5a/merged: no such file or directory';

interface RacingEngine {
  binary: string;
  /** The next `count` copies fail with the storage race. */
  race(count: number): Promise<void>;
  /** How many copies ran (failed or not). */
  copies(): Promise<number>;
}

async function racingEngine(t: Test, kind: EngineKind): Promise<RacingEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-racing-engine-'));
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
      'fi',
      `exec '${real}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return {
    binary,
    race: (count) => writeFile(join(dir, 'race-left'), `${count}\n`),
    copies: async () => {
      const text = await readFile(join(dir, 'copies'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '').length;
    },
  };
}

interface Outcome {
  messages: AgentMessage[];
  bytes: Buffer;
}

/** Runs one read operation to its end, granting all the credit it wants. */
function runRead(
  binary: string,
  id: string,
  op: Extract<FileOp, { kind: 'read' | 'read_tar' }>,
  log: ReturnType<typeof capturedLog>['log'],
): Promise<Outcome> {
  return new Promise((resolve) => {
    const messages: AgentMessage[] = [];
    const chunks: Buffer[] = [];
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
          return true;
        },
      },
      onEnd: () => setImmediate(() => resolve({ messages, bytes: Buffer.concat(chunks) })),
    };
    if (op.kind === 'read') startRead(context, op);
    else startReadTar(context, op);
  });
}

const types = (outcome: Outcome) => outcome.messages.map((message) => message.type);

void t.test('reads copy again after the storage race', async (t) => {
  const kind = await requireEngine(t);
  const engine = await racingEngine(t, kind);
  const id = containerId();
  await execa(kind, [
    'run',
    '-d',
    '--name',
    containerName(id),
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    'printf "hello from the box" > /tmp/greeting; sleep 3600',
  ]);
  t.teardown(() => execa(kind, ['rm', '-f', '-t', '0', containerName(id)], { reject: false }));
  const { log, lines } = capturedLog('info');
  const read = { kind: 'read', path: '/tmp/greeting', range: null } as const;

  await engine.race(2);
  const first = await runRead(engine.binary, id, read, log);
  t.same(types(first), ['AGENT_FILE_READY', 'AGENT_FILE_DONE'], 'the read succeeded');
  t.equal(first.bytes.toString(), 'hello from the box', 'with the file’s bytes');
  t.equal(await engine.copies(), 3, 'after two copies met the race');
  t.equal(
    lines.filter((line) => line['msg'] === 'the engine was unmounting the container; copying again')
      .length,
    2,
    'each retry logged',
  );

  await engine.race(1);
  const tar = await runRead(engine.binary, id, { kind: 'read_tar', path: '/tmp' }, log);
  t.same(types(tar), ['AGENT_FILE_READY', 'AGENT_FILE_DONE'], 'a tar read copies again too');
  t.ok(tar.bytes.includes(Buffer.from('hello from the box')), 'and carries the file');
  t.equal(await engine.copies(), 5);

  await engine.race(100);
  const stuck = await runRead(engine.binary, id, read, log);
  t.match(
    stuck.messages,
    [{ type: 'AGENT_FILE_ERROR', code: 'file_failed', message: /merged: no such file/ }],
    'a race that does not pass is file_failed, not path_not_found',
  );
  t.equal(await engine.copies(), 5 + 6, 'after the first copy and five more');

  await engine.race(0);
  const missing = await runRead(
    engine.binary,
    id,
    { kind: 'read', path: '/tmp/nothing-here', range: null },
    log,
  );
  t.match(missing.messages, [{ type: 'AGENT_FILE_ERROR', code: 'path_not_found' }]);
  t.equal(await engine.copies(), 12, 'a missing path is not copied again');
});
