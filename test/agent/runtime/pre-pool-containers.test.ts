// Containers an agent made before the home volume pool (an upgrade): mounted on `rexec-home-<id>`,
// a volume labelled with the container id, no io.rexec.home-volume label. The disk monitor still
// finds their home, a terminal still starts in it, and remove still takes the volume along.
import t from 'tap';
import { buildRunArgs } from '../../../packages/agent/src/runtime/run-args.js';
import { validateContainerSpec } from '../../../packages/agent/src/runtime/spec.js';
import { createShellProbe } from '../../../packages/agent/src/terminal/shell-probe.js';
import { volumeExists } from '../../helpers/engine.js';
import { busyboxSpec, engine, makeRuntime } from './fixture.js';

void t.test(
  'a container from before the pool keeps working, and its volume goes with it',
  async (t) => {
    const { runtime, kind, hostId } = await makeRuntime(t, { homeVolumePool: 1 });
    const spec = validateContainerSpec(busyboxSpec({ homeDir: '/home/old' }));
    const oldVolume = `rexec-home-${spec.containerId}`;
    // What the agent ran before the pool: the labelled volume, then `run` mounting it by that name.
    await engine(kind, [
      'volume',
      'create',
      '--label',
      'io.rexec.managed=true',
      '--label',
      `io.rexec.container-id=${spec.containerId}`,
      '--label',
      `io.rexec.host-id=${hostId}`,
      oldVolume,
    ]);
    const run = buildRunArgs(spec, hostId);
    t.notOk(
      run.some((arg) => arg.startsWith('io.rexec.home-volume')),
      'no home-volume label',
    );
    const engineId = (await engine(kind, run)).stdout.trim();
    await runtime.prepare();

    const placed = await runtime.locate(spec.containerId);
    t.match(placed?.homeVolumeDir, new RegExp(`${oldVolume}/_data$`), 'the disk monitor finds it');
    const plan = await createShellProbe(kind).plan(spec.containerId, engineId, undefined);
    t.equal(plan.homeDir, '/home/old', 'a terminal starts in its home');
    t.ok(await volumeExists(kind, oldVolume), "prepare() left the old container's volume alone");

    await runtime.remove(spec.containerId);
    t.notOk(await volumeExists(kind, oldVolume), 'remove took the old volume with it');
  },
);
