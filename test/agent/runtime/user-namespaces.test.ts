// User namespaces (issue 16): with subordinate ids for podman's `containers` user (what
// deploy/install-agent.sh and .ci/run configure), every podman container gets its own range, so
// uid 0 inside is an unprivileged uid on the host; the home volume (made ahead of time by the pool)
// is chowned to that range by the engine, so root inside still owns it, and the files it writes
// belong to the range on the host. Stop and start keep the range and the files. Without the ids
// the runtime says how to add them; docker's daemon-wide userns-remap is read from `docker info`.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  dockerUserNamespaces,
  largestSubidRange,
  podmanUserNamespaces,
  USERNS_SIZE,
} from '../../../packages/agent/src/runtime/user-namespaces.js';
import { busyboxSpec, engine, makeRuntime } from './fixture.js';

interface Mapping {
  inside: number;
  outside: number;
  count: number;
}

function parseIdMap(text: string): Mapping[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
      return { inside: inside ?? -1, outside: outside ?? -1, count: count ?? -1 };
    });
}

void t.test('subordinate id files decide whether podman gets --userns=auto', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-subid-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = { subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') };
  t.equal(largestSubidRange('containers:100000:65536\nbob:1:2\n', 'containers', null), 65_536);
  t.equal(
    largestSubidRange('# none\ncontainers:x:5\n', 'containers', null),
    0,
    'bad lines skipped',
  );
  if (process.getuid?.() === 0) {
    const missing = await podmanUserNamespaces(files);
    t.equal(missing.enabled, false, 'no files: off');
    t.match(missing.detail, /add "containers:2147483647:2147483648"/, 'says what to add');
    await writeFile(files.subuid, 'containers:2147483647:2147483648\n');
    await writeFile(files.subgid, 'containers:100000:1000\n');
    t.equal((await podmanUserNamespaces(files)).enabled, false, 'too small a gid range: off');
    await writeFile(files.subgid, 'containers:2147483647:2147483648\n');
    const on = await podmanUserNamespaces(files);
    t.equal(on.enabled, true, 'both ranges: on');
    t.match(on.detail, new RegExp(`--userns=auto: ${USERNS_SIZE} ids per container`));
  }
  t.same(dockerUserNamespaces(['name=seccomp,profile=default']).enabled, false);
  t.same(dockerUserNamespaces(['name=seccomp,profile=default', 'name=userns']).enabled, true);
});

void t.test(
  'a podman container runs in its own id range and its home belongs to that range',
  async (t) => {
    const { runtime, kind } = await makeRuntime(t, { homeVolumePool: 1 });
    if (kind !== 'podman') {
      // docker remaps only with a daemon-wide setting this machine does not use: it says so.
      const info = await runtime.info();
      t.equal(info.userNamespaces, false, 'docker without userns-remap reports none');
      return;
    }
    const info = await runtime.info();
    t.equal(
      info.userNamespaces,
      true,
      `podman must have subordinate ids for "containers" (.ci/run configures them): ${info.userNamespacesDetail}`,
    );
    if (info.userNamespaces !== true) return;
    await runtime.prepare();
    const first = busyboxSpec();
    const second = busyboxSpec();
    await runtime.createAndStart(first);
    await runtime.createAndStart(second);
    const name = `rexec-${first.containerId}`;
    const uidMap = parseIdMap(
      (await engine(kind, ['exec', name, 'cat', '/proc/self/uid_map'])).stdout,
    );
    const gidMap = parseIdMap(
      (await engine(kind, ['exec', name, 'cat', '/proc/self/gid_map'])).stdout,
    );
    t.equal(uidMap.length, 1, 'one uid range');
    const [uids] = uidMap;
    const [gids] = gidMap;
    if (uids === undefined || gids === undefined) return;
    t.equal(uids.inside, 0, 'root inside is mapped');
    t.not(uids.outside, 0, 'to a uid other than host root');
    t.ok(uids.outside >= 65_536, `to an unprivileged range (${uids.outside})`);
    t.equal(uids.count, USERNS_SIZE, 'the usual 65536 ids, nobody included');
    t.equal(gids.outside, uids.outside, 'gids alike');

    const other = parseIdMap(
      (await engine(kind, ['exec', `rexec-${second.containerId}`, 'cat', '/proc/self/uid_map']))
        .stdout,
    )[0];
    t.ok(
      other !== undefined &&
        (other.outside >= uids.outside + uids.count || other.outside + other.count <= uids.outside),
      'another container gets a range of its own',
    );

    const whoami = await engine(kind, [
      'exec',
      name,
      'sh',
      '-c',
      'echo kept > /root/f && mkdir -p /root/d && id -u',
    ]);
    t.equal(whoami.stdout.trim(), '0', 'root inside, writing its home');
    const placement = await runtime.locate(first.containerId);
    const home = placement?.homeVolumeDir ?? '';
    const file = await stat(join(home, 'f'));
    t.equal(file.uid, uids.outside, "the file belongs to the container's root on the host");
    t.equal(file.gid, gids.outside, 'and its group');
    t.equal((await stat(home)).uid, uids.outside, 'the engine chowned the pooled volume');

    await runtime.stop(first.containerId, 0);
    await runtime.start(first.containerId);
    const again = parseIdMap(
      (await engine(kind, ['exec', name, 'cat', '/proc/self/uid_map'])).stdout,
    );
    t.same(again, uidMap, 'a restart keeps the range');
    const kept = await engine(kind, ['exec', name, 'sh', '-c', 'cat /root/f && touch /root/g']);
    t.equal(kept.stdout.trim(), 'kept', 'and the home');
  },
);
