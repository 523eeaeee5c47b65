// The du measurer on real directories: it counts allocated blocks (a sparse file costs nothing),
// does not follow symlinks nor cross a mount below a directory (needs root, as the agent does),
// adds up several directories, and fails with DiskMeasureError when a directory is gone (its
// container was removed mid-run).
import { mkdtemp, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import { measureDirectories, parseDuTotals } from '../../../packages/agent/src/disk/du.js';
import { DiskMeasureError } from '../../../packages/agent/src/disk/errors.js';

const MIB = 1024 * 1024;

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-du-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void t.test('allocated blocks count, apparent size and symlink targets do not', async (t) => {
  const root = await tempDir(t);
  const layer = join(root, 'layer');
  const home = join(root, 'home dir');
  const outside = join(root, 'outside');
  await Promise.all([mkdir(layer), mkdir(home), mkdir(outside)]);
  await writeFile(join(layer, 'real'), Buffer.alloc(3 * MIB, 1));
  await writeFile(join(home, 'real'), Buffer.alloc(2 * MIB, 1));
  // 500 MB apparent, nothing allocated.
  await writeFile(join(layer, 'sparse'), '');
  await truncate(join(layer, 'sparse'), 500 * MIB);
  await writeFile(join(outside, 'big'), Buffer.alloc(8 * MIB, 1));
  await symlink(join(outside, 'big'), join(home, 'link'));
  await symlink(outside, join(layer, 'dir-link'));

  const bytes = await measureDirectories([layer, home], { timeoutMs: 10_000 });
  t.ok(bytes >= 5 * MIB, `at least the 5 MiB written (${bytes})`);
  t.ok(bytes < 6 * MIB, `not the sparse file nor the symlink targets (${bytes})`);
});

void t.test('a file system mounted below a directory is not counted', async (t) => {
  const root = await tempDir(t);
  const mounted = join(root, 'mounted');
  await mkdir(mounted);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mounted]);
  t.teardown(() => execa('umount', [mounted]));
  await writeFile(join(mounted, 'big'), Buffer.alloc(8 * MIB, 1));
  const bytes = await measureDirectories([root], { timeoutMs: 10_000 });
  t.ok(bytes < MIB, `the 8 MiB on the tmpfs are not counted (${bytes})`);
});

void t.test('no directories measure 0 without running du', async (t) => {
  t.equal(await measureDirectories([], { timeoutMs: 1, binary: '/nonexistent/du' }), 0);
});

void t.test('a directory that is gone fails with DiskMeasureError', async (t) => {
  const root = await tempDir(t);
  const gone = join(root, 'removed');
  const error = await measureDirectories([root, gone], { timeoutMs: 10_000 }).then(
    () => null,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof DiskMeasureError, 'a DiskMeasureError');
  t.match(error, { code: 'disk_measure_failed', message: /no total for .*removed/ });
  t.match((error as DiskMeasureError).stderr, /No such file or directory/);
});

void t.test('a du that cannot run fails with DiskMeasureError and a cause', async (t) => {
  const error = await measureDirectories(['/'], {
    timeoutMs: 1_000,
    binary: '/nonexistent/du',
  }).then(
    () => null,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof DiskMeasureError);
  t.match(error, { code: 'disk_measure_failed' });
});

void t.test('du output lines parse into totals, paths with spaces included', (t) => {
  const totals = parseDuTotals('12\t/var/a\n3048\t/var/home dir/x\n\ngarbage\n');
  t.same(
    [...totals],
    [
      ['/var/a', 12],
      ['/var/home dir/x', 3048],
    ],
  );
  t.end();
});
