// The state file: written 0600 whatever the umask, read back, replaced atomically, and a corrupt
// file is a fatal error that says how to recover.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { AgentFatalError } from '../../packages/agent/src/errors.js';
import { readState, stateFilePath, writeState } from '../../packages/agent/src/state.js';

const STATE = {
  host_id: `hst_${'1'.repeat(32)}`,
  host_name: 'worker-1',
  credential: 'cred_0123456789abcdef',
};

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void t.test('no file means not enrolled', async (t) => {
  t.equal(await readState(join(await tempDir(t), 'absent')), null);
});

void t.test('writes 0600 under a permissive umask and reads it back', async (t) => {
  const dir = join(await tempDir(t), 'nested');
  const previous = process.umask(0o000);
  try {
    await writeState(dir, STATE);
  } finally {
    process.umask(previous);
  }
  t.equal((await stat(stateFilePath(dir))).mode & 0o777, 0o600);
  t.equal((await stat(dir)).mode & 0o777, 0o700);
  t.same(await readState(dir), STATE);
  await writeState(dir, { ...STATE, host_name: 'worker-2' });
  t.equal((await readState(dir))?.host_name, 'worker-2');
  t.same(await readdir(dir), ['agent-state.json'], 'no temp file left behind');
});

void t.test('a corrupt file is fatal and names the file', async (t) => {
  const dir = await tempDir(t);
  await writeFile(stateFilePath(dir), '{"host_id": 12');
  await t.rejects(readState(dir), AgentFatalError);
  await writeFile(stateFilePath(dir), JSON.stringify({ ...STATE, host_id: 'nope' }));
  await t.rejects(readState(dir), {
    code: 'state_invalid',
    message: /agent-state\.json is invalid \(host_id/,
  });
});
