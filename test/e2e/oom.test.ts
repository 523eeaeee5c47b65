// Memory limits on the real fleet: a process that outgrows the container's memory is OOM-killed by
// the kernel inside the container's cgroup, while the sandbox (its init and keep-alive loop) stays
// up and no status change is invented for it.
import t from 'tap';
import { Container } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startFleet } from './fleet.js';

void t.test(
  'a process that exceeds the memory limit is killed, the sandbox stays up',
  async (t) => {
    const fleet = await startFleet(t);
    await fleet.joinAgent('e2e-oom');
    const { id } = await fleet.createBox({ cpu_millicores: 250, memory_mb: 32, disk_mb: 512 });
    await fleet.containerStatus(id, 'running');
    // tail buffers /dev/zero without bound; the shell reports how it ended.
    const hog = await engine(fleet.kind, [
      'exec',
      `rexec-${id}`,
      'sh',
      '-c',
      'tail /dev/zero; echo exit=$?',
    ]);
    t.equal(hog.stdout.trim(), 'exit=137', 'the hog was killed (SIGKILL from the OOM killer)');
    // Give a wrongly reported status time to arrive before checking that none did.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const state = await engine(fleet.kind, ['inspect', '-f', '{{.State.Running}}', `rexec-${id}`]);
    t.equal(state.stdout.trim(), 'true', 'the engine still runs the container');
    const api = await fleet.apiAs(Container, 'GET', `/containers/${id}`);
    t.equal(api.status, 'running', 'and the API agrees');
  },
);
