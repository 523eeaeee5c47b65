// Memory limits on the real fleet: a process that outgrows the container's memory is OOM-killed by
// the kernel inside the container's cgroup, while the sandbox (its init and keep-alive loop) stays
// up and no status change is invented for it. The agent handles its host's engine events (and the
// kernel's OOM lines) one after another, so a second box killed from outside after the hog is the
// proof that the OOM was handled: once its stop reaches the API, a wrong report would have too.
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
    const marker = await fleet.createBox({ cpu_millicores: 250, memory_mb: 32, disk_mb: 512 });
    const before = await fleet.containerStatus(id, 'running');
    await fleet.containerStatus(marker.id, 'running');
    // tail buffers /dev/zero without bound; the shell reports how it ended.
    const hog = await engine(fleet.kind, [
      'exec',
      `rexec-${id}`,
      'sh',
      '-c',
      'tail /dev/zero; echo exit=$?',
    ]);
    t.equal(hog.stdout.trim(), 'exit=137', 'the hog was killed (SIGKILL from the OOM killer)');
    // An event after the OOM on the same host: its report arriving means the OOM's was handled.
    await engine(fleet.kind, ['kill', `rexec-${marker.id}`]);
    const killed = await fleet.containerStatus(marker.id, 'stopped');
    t.equal(killed.status_reason, 'exited', 'the later event was reported');
    const state = await engine(fleet.kind, ['inspect', '-f', '{{.State.Running}}', `rexec-${id}`]);
    t.equal(state.stdout.trim(), 'true', 'the engine still runs the container');
    const api = await fleet.apiAs(Container, 'GET', `/containers/${id}`);
    t.equal(api.status, 'running', 'and the API agrees');
    t.equal(api.status_reason, before.status_reason, 'with the reason it had');
  },
);
