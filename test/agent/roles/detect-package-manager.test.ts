// The package manager probe, run for real in the local Debian and busybox images, and its
// reading of outputs the probe should never print.
import t from 'tap';
import {
  detectPackageManager,
  PackageManagerProbeError,
  parseProbeOutput,
} from '../../../packages/agent/src/roles/detect-package-manager.js';
import { createContainerShell } from '../../../packages/agent/src/roles/container-shell.js';
import { BUSYBOX_IMAGE, DEBIAN_IMAGE, idleContainer } from './fixture.js';

void t.test('Debian is detected as apt', async (t) => {
  const { shell } = await idleContainer(t, DEBIAN_IMAGE);
  t.equal(await detectPackageManager(shell), 'apt');
});

void t.test('an image with no package manager is detected as none', async (t) => {
  const { shell } = await idleContainer(t, BUSYBOX_IMAGE);
  t.equal(await detectPackageManager(shell), null);
});

void t.test(
  'a container that does not exist makes the probe fail with the engine message',
  async (t) => {
    const { kind } = await idleContainer(t, BUSYBOX_IMAGE);
    const shell = createContainerShell({ binary: kind, container: 'rexec-roles-test-missing' });
    await t.rejects(detectPackageManager(shell), PackageManagerProbeError);
    await t.rejects(detectPackageManager(shell), { message: /probe failed \(exit 125\): .+/ });
  },
);

void t.test('probe output maps binaries to managers and refuses anything else', (t) => {
  t.equal(parseProbeOutput('apt-get\n'), 'apt');
  t.equal(parseProbeOutput('apk'), 'apk');
  t.equal(parseProbeOutput('pacman\n'), 'pacman');
  t.equal(parseProbeOutput('dnf\n'), 'dnf');
  t.equal(parseProbeOutput('none\n'), null);
  t.throws(() => parseProbeOutput('yum\n'), PackageManagerProbeError);
  t.throws(() => parseProbeOutput(''), PackageManagerProbeError);
  t.end();
});

void t.test('a container reference that could be read as a flag is refused', (t) => {
  t.throws(() => createContainerShell({ binary: 'podman', container: '--all' }), RangeError);
  t.throws(() => createContainerShell({ binary: 'podman', container: '' }), RangeError);
  t.end();
});
