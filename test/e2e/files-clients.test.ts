// The TypeScript SDK's files calls and `rexec cp` / `rexec ls` on the real fleet (files-fleet.ts):
// write, read (whole and a range), mkdir, move, list, stat's typed error, a tree up and down as
// tar, and the CLI copying a file both ways, with its progress line on a terminal for 5 MB. What
// the REST routes answer is files-transfer and files-paths.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RexecClient } from '../../packages/sdk/src/node.js';
import { cliFixture } from '../sdk/cli-process.js';
import { startFilesFleet } from './files-fleet.js';

t.setTimeout(600_000);

void t.test('files through the SDK and the CLI', async (t) => {
  const { fleet, box } = await startFilesFleet(t, 'e2e-files-clients');

  void t.test('the SDK and the CLI move the same files', async (t) => {
    const rexec = new RexecClient({
      baseUrl: fleet.controlPlane.url,
      token: fleet.controlPlane.adminToken,
    });
    const local = await mkdtemp(join(tmpdir(), 'rexec-files-sdk-'));
    t.teardown(() => rm(local, { recursive: true, force: true }));

    const written = await rexec.files.write(box.id, '/root/sdk/a.txt', 'hello sdk', {
      mode: '0600',
      parents: true,
    });
    t.match(written, { path: '/root/sdk/a.txt', size: 9, mode: '0600' });
    t.equal(await rexec.files.readText(box.id, '/root/sdk/a.txt'), 'hello sdk');
    t.same(
      Buffer.from(await rexec.files.read(box.id, '/root/sdk/a.txt', { range: { start: 6 } })),
      Buffer.from('sdk'),
      'a range through the SDK',
    );
    await rexec.files.mkdir(box.id, '/root/sdk/sub');
    await rexec.files.move(box.id, '/root/sdk/a.txt', '/root/sdk/sub/b.txt');
    const listed = await rexec.files.list(box.id, '/root/sdk/sub');
    t.same(
      listed.entries.map((entry) => entry.name),
      ['b.txt'],
    );
    await t.rejects(
      rexec.files.stat(box.id, '/root/sdk/a.txt'),
      { code: 'path_not_found' },
      'moved away: a typed error',
    );

    const tree = join(local, 'tree');
    await mkdir(join(tree, 'nested'), { recursive: true });
    await writeFile(join(tree, 'nested', 'c.txt'), 'from a tree');
    await rexec.files.mkdir(box.id, '/root/sdk/up');
    const uploaded = await rexec.files.upload(box.id, tree, '/root/sdk/up');
    t.ok(uploaded.files >= 1, `the tree went up (${uploaded.files} entries)`);
    await rexec.files.download(box.id, '/root/sdk/up', join(local, 'down'));
    t.equal(
      await readFile(join(local, 'down', 'up', 'nested', 'c.txt'), 'utf8'),
      'from a tree',
      'and came back down as a tree',
    );

    const cli = await cliFixture(t);
    const login = await cli.run(['login', '--url', fleet.controlPlane.url, '--token-stdin'], {
      input: `${fleet.controlPlane.adminToken}\n`,
    });
    t.equal(login.exitCode, 0, login.stderr);
    const source = join(local, 'cli.txt');
    await writeFile(source, 'copied by the CLI');
    const up = await cli.run(['cp', source, `${box.name}:/root/sdk/`]);
    t.equal(up.exitCode, 0, up.stderr);
    const ls = await cli.run(['ls', `${box.name}:/root/sdk`]);
    t.equal(ls.exitCode, 0, ls.stderr);
    t.match(ls.stdout, /cli\.txt/, 'rexec ls lists what rexec cp put there');
    const back = join(local, 'cli-back.txt');
    const down = await cli.run(['cp', `${box.name}:/root/sdk/cli.txt`, back]);
    t.equal(down.exitCode, 0, down.stderr);
    t.equal(await readFile(back, 'utf8'), 'copied by the CLI', 'and rexec cp brings it back');

    // Over 4 MB on a terminal, each way draws a progress line; through pipes (above) nothing.
    t.equal(up.stderr, '', 'no progress line when stderr is not a terminal');
    const large = join(local, 'large.bin');
    await writeFile(large, randomBytes(5 * 1024 * 1024));
    const upDrawn = cli.pty(['cp', large, `${box.name}:/root/sdk/large.bin`]);
    t.equal(await upDrawn.exited, 0, upDrawn.output());
    t.match(upDrawn.output(), /uploading [\d.]+ MB of 5\.0 MB \(\d+%\)/, 'upload progress drawn');
    const downDrawn = cli.pty(['cp', `${box.name}:/root/sdk/large.bin`, join(local, 'large.back')]);
    t.equal(await downDrawn.exited, 0, downDrawn.output());
    t.match(downDrawn.output(), /downloading [\d.]+ MB/, 'download progress drawn');
    t.same(await readFile(join(local, 'large.back')), await readFile(large), 'the bytes are equal');
  });
});
