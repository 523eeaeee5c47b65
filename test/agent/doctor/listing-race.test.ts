// podman 4.3's `ps` fails (exit 125, "unknown FS magic on /run/netns/…") when a container it
// lists, anyone's, is being removed at that moment; a CI run's host-removal test failed on it
// while checking what the removed host left. The listing of labelled resources tries again a
// moment later; any other failure is still the caller's at once. The engine here is a script.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test as Tap } from 'tap';
import { labelledResources } from '../../../packages/agent/src/doctor/leftovers.js';

const RACE =
  'Error: joining network namespace of container 0123: retrieving network namespace at ' +
  '/run/netns/netns-1: unknown FS magic on "/run/netns/netns-1": ef53';

/** A fake podman whose `ps` fails `failures` times with `message`, then lists one container. */
async function engine(t: Tap, failures: number, message: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-listing-race-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const counter = join(dir, 'count');
  const script = join(dir, 'podman');
  await writeFile(
    script,
    `#!/bin/sh
case "$1" in
  ps)
    n=$(cat "${counter}" 2>/dev/null || echo 0)
    echo $((n + 1)) > "${counter}"
    if [ "$n" -lt ${failures} ]; then echo '${message}' >&2; exit 125; fi
    echo 'rexec-ctr_1 hst_1' ;;
  volume) ;;
  network) echo '[]' ;;
esac
`,
  );
  await chmod(script, 0o755);
  return script;
}

void t.test('a listing that races a removal is tried again', async (t) => {
  const binary = await engine(t, 2, RACE);
  t.same(await labelledResources('podman', binary), [
    { kind: 'container', name: 'rexec-ctr_1', hostId: 'hst_1' },
  ]);
});

void t.test('any other failure is not', async (t) => {
  const binary = await engine(t, 1, 'Error: database is locked');
  await t.rejects(labelledResources('podman', binary), /exit code 125/);
});
