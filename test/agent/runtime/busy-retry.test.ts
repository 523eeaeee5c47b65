// The engine's transient EBUSY on removal (podman 4.3 racing its own cleanup process) is retried
// until the call succeeds; any other failure, and an EBUSY that does not clear, reach the caller.
// The failing call is a real process: a shell that answers like podman's rm for its first tries.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  BUSY_RETRIES,
  isEngineBusy,
  retryWhileBusy,
} from '../../../packages/agent/src/runtime/busy-retry.js';
import { createEngineCli } from '../../../packages/agent/src/runtime/engine-cli.js';

const BUSY_STDERR =
  'Error: removing container c1 root filesystem: 1 error occurred:\n' +
  '\t* unlinkat /var/lib/containers/storage/overlay-containers/c1/userdata/shm: device or resource busy';

/** An "engine" that fails with `stderr` (exit 125) for its first `failures` calls, then succeeds. */
async function flakyEngine(t: Test, failures: number, stderr: string) {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-busy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const counter = join(dir, 'calls');
  await writeFile(counter, '0');
  const script = join(dir, 'engine');
  await writeFile(
    script,
    `#!/bin/sh\nn=$(cat '${counter}'); n=$((n + 1)); echo "$n" > '${counter}'\n` +
      `if [ "$n" -le ${failures} ]; then printf '%s\\n' '${stderr.replace(/'/g, '')}' >&2; exit 125; fi\n` +
      `echo removed\n`,
    { mode: 0o755 },
  );
  const cli = createEngineCli(script);
  return {
    rm: () => cli.run(['rm', '--force', 'c1']),
    calls: async () => Number((await readFile(counter, 'utf8')).trim()),
  };
}

void t.test('an EBUSY removal is retried until the engine lets go', async (t) => {
  const engine = await flakyEngine(t, 2, BUSY_STDERR);
  t.equal((await retryWhileBusy(engine.rm)).trim(), 'removed');
  t.equal(await engine.calls(), 3, 'two busy answers, then the removal');
});

void t.test('an EBUSY that never clears is reported after the retries', async (t) => {
  const engine = await flakyEngine(t, 100, BUSY_STDERR);
  await t.rejects(retryWhileBusy(engine.rm), /device or resource busy/);
  t.equal(await engine.calls(), BUSY_RETRIES + 1);
});

void t.test('any other failure is not retried', async (t) => {
  const engine = await flakyEngine(t, 1, 'Error: no container with name or ID "c1" found');
  const failure = await retryWhileBusy(engine.rm).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.match(failure, { message: /no container with name/ }, 'the engine error itself');
  t.notOk(isEngineBusy(failure));
  t.equal(await engine.calls(), 1, 'one call only');
});
