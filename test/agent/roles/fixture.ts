// Shared setup for the role suites on the real engine: the engine and the local Debian image
// (failing the test when either is missing, never skipping), and idle containers that are removed
// at teardown. Building images is test/images/build.sh's job.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { createContainerShell } from '../../../packages/agent/src/roles/container-shell.js';
import type { ContainerShell } from '../../../packages/agent/src/roles/container-shell.js';
import { BUSYBOX_IMAGE, DEBIAN_IMAGE, engine, requireEngine } from '../../helpers/engine.js';
import type { EngineKind } from '../../helpers/engine.js';
import { retryWhileBusy } from '../../../packages/agent/src/runtime/busy-retry.js';

export { BUSYBOX_IMAGE, DEBIAN_IMAGE, engine };

export interface IdleContainer {
  kind: EngineKind;
  name: string;
  shell: ContainerShell;
}

/**
 * Starts `image` idling on the default bridge (so apt reaches deb.debian.org) and removes it when
 * the test ends.
 */
export async function idleContainer(t: Test, image: string): Promise<IdleContainer> {
  const kind = await requireEngine(t);
  const name = `rexec-roles-test-${randomBytes(4).toString('hex')}`;
  await engine(kind, ['run', '--detach', '--pull', 'never', '--name', name, image, 'sleep', '1d']);
  t.teardown(async () => {
    await retryWhileBusy(() => engine(kind, ['rm', '--force', '--time', '0', name]));
  });
  return { kind, name, shell: createContainerShell({ binary: kind, container: name }) };
}
