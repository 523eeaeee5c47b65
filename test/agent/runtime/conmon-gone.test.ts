// A container whose conmon died (killed with it, as the OOM killer or a careless `kill` can) on the
// real engine: podman's first `rm --force` or `stop` waits 5 s for the exit file conmon never
// writes and fails; the runtime retries both, so a stop or delete of such a container succeeds.
import t, { type Test } from 'tap';
import { containerName } from '../../../packages/agent/src/runtime/labels.js';
import { busyboxSpec, engine, makeRuntime, rawInspect } from './fixture.js';

/** Starts a container and kills its conmon and its init; null on an engine without conmon. */
async function withConmonKilled(t: Test) {
  const { runtime, kind } = await makeRuntime(t);
  if (kind !== 'podman') return null;
  const spec = busyboxSpec();
  await runtime.createAndStart(spec);
  const name = containerName(spec.containerId);
  const { stdout } = await engine(kind, [
    'container',
    'inspect',
    '--format',
    '{{.State.ConmonPid}} {{.State.Pid}}',
    name,
  ]);
  const pids = stdout.trim().split(' ').map(Number);
  t.ok(pids.length === 2 && pids.every((pid) => pid > 0), `conmon and init pids ${stdout.trim()}`);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return { runtime, kind, name, containerId: spec.containerId };
}

void t.test('a container whose conmon died is removed in one call', async (t) => {
  const killed = await withConmonKilled(t);
  if (killed === null) {
    t.pass('the engine has no conmon; nothing to test');
    return;
  }
  await killed.runtime.remove(killed.containerId);
  await t.rejects(rawInspect(killed.kind, killed.name), 'the engine no longer has it');
});

void t.test('a container whose conmon died is stopped in one call', async (t) => {
  const killed = await withConmonKilled(t);
  if (killed === null) {
    t.pass('the engine has no conmon; nothing to test');
    return;
  }
  const observed = await killed.runtime.stop(killed.containerId, 10);
  t.equal(observed.state, 'exited', 'the engine has it exited');
});
