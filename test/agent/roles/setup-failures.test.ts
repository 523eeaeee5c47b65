// How role setup fails, on the real engine: an unreachable archive (a broken sources list in the
// Debian image), an image without a package manager, a timeout, and a tail cut to its limit; and
// barebone, which never runs anything.
import t from 'tap';
import { createContainerShell } from '../../../packages/agent/src/roles/container-shell.js';
import { runRoleSetup } from '../../../packages/agent/src/roles/run-setup.js';
import { SETUP_FAILURE_PREFIX } from '../../../packages/agent/src/roles/setup-script.js';
import { BUSYBOX_IMAGE, DEBIAN_IMAGE, engine, idleContainer } from './fixture.js';

// `.invalid` never resolves (RFC 2606), so apt fails fast and the same way on every machine.
const BROKEN_SOURCES = 'deb http://archive.rexec.invalid/debian bookworm main\n';

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

void t.test('an unreachable archive fails the setup with a readable tail', async (t) => {
  const { kind, name, shell } = await idleContainer(t, DEBIAN_IMAGE);
  await engine(
    kind,
    [
      'exec',
      '-i',
      name,
      'sh',
      '-c',
      'rm -f /etc/apt/sources.list.d/*; cat > /etc/apt/sources.list',
    ],
    {
      input: BROKEN_SOURCES,
    },
  );
  const outcome = await runRoleSetup({ shell, role: 'python', retryDelaySeconds: 1 });
  if (outcome.kind === 'skipped') throw new Error('python is never skipped');
  t.equal(outcome.kind, 'failed');
  t.equal(outcome.timedOut, false);
  t.match(outcome.log, /archive\.rexec\.invalid/, 'apt says which source failed');
  t.match(outcome.log, /gave up after 3 attempts/);
  t.match(
    lastLine(outcome.log),
    new RegExp(
      `^${SETUP_FAILURE_PREFIX}: role python \\(apt\\) failed while refreshing the package index \\(exit [1-9]\\d*\\)$`,
    ),
  );
});

void t.test('a role on an image without a package manager fails saying so', async (t) => {
  const { shell } = await idleContainer(t, BUSYBOX_IMAGE);
  const outcome = await runRoleSetup({ shell, role: 'devops' });
  if (outcome.kind === 'skipped') throw new Error('devops is never skipped');
  t.equal(outcome.kind, 'failed');
  t.equal(outcome.packageManager, null);
  t.match(lastLine(outcome.log), /role devops needs a package manager and the image has none/);
});

void t.test('a setup that outlives its timeout fails as timed out', async (t) => {
  const { kind, name, shell } = await idleContainer(t, DEBIAN_IMAGE);
  // A dead archive with long retry waits keeps the script busy well past the deadline.
  await engine(kind, ['exec', '-i', name, 'sh', '-c', 'cat > /etc/apt/sources.list'], {
    input: BROKEN_SOURCES,
  });
  const outcome = await runRoleSetup({
    shell,
    role: 'rust',
    timeoutMs: 4_000,
    retryDelaySeconds: 60,
  });
  if (outcome.kind === 'skipped') throw new Error('rust is never skipped');
  t.equal(outcome.kind, 'failed');
  t.equal(outcome.timedOut, true);
  t.match(outcome.log, /refreshing the package index/, 'the output so far is kept');
  t.equal(lastLine(outcome.log), `${SETUP_FAILURE_PREFIX}: role rust did not finish within 4 s`);
});

void t.test('a long log keeps only its tail', async (t) => {
  const { kind, name, shell } = await idleContainer(t, DEBIAN_IMAGE);
  await engine(kind, ['exec', '-i', name, 'sh', '-c', 'cat > /etc/apt/sources.list'], {
    input: BROKEN_SOURCES,
  });
  const outcome = await runRoleSetup({ shell, role: 'go', tailBytes: 256, retryDelaySeconds: 0 });
  if (outcome.kind === 'skipped') throw new Error('go is never skipped');
  t.equal(outcome.kind, 'failed');
  t.equal(outcome.truncated, true);
  t.ok(Buffer.byteLength(outcome.log) <= 256, 'no more than the limit is kept');
  t.match(lastLine(outcome.log), /failed while refreshing the package index/);
});

void t.test('barebone runs nothing in the container', async (t) => {
  // A shell for a container that does not exist: any exec would fail the setup.
  const shell = createContainerShell({ binary: 'podman', container: 'rexec-roles-test-absent' });
  t.same(await runRoleSetup({ shell, role: 'barebone' }), { kind: 'skipped' });
});
