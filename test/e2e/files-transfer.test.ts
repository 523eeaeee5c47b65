// File transfers on the real fleet (files-fleet.ts): a 20 MB round trip with matching sha256 (the
// 200 MB one is bench/files.ts: this suite runs on two cores shared with the others, and 200 MB
// each way would add minutes without covering another code path, since the bytes stream in
// windows whatever the size), a chunked upload, ranges, a tar of a tree with symlinks and modes
// up and down, and reads and writes on a stopped container. Paths and limits are
// files-paths.test.ts; the SDK and the CLI are files-clients.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveWritten, ErrorBody, FileList, FileStat, FileWritten } from '@rexec/protocol';
import * as tar from 'tar';
import t from 'tap';
import { sha256, startFilesFleet, streamToBuffer } from './files-fleet.js';

const ROUND_TRIP_BYTES = 20 * 1024 * 1024;

// Two cores shared with other suites: the transfers here move about 60 MB in all.
t.setTimeout(600_000);

void t.test('file transfers on the real fleet', async (t) => {
  const files = await startFilesFleet(t, 'e2e-files-transfer');
  const { fleet, box, raw, put, get, q, json, errorOf, sh } = files;
  const big = randomBytes(ROUND_TRIP_BYTES);

  void t.test('a large file goes up and comes back with the same sha256', async (t) => {
    const written = await put('/root/big.bin', big, '&mode=0600');
    t.equal(written.status, 201, written.bytes.toString());
    t.match(FileWritten.parse(json(written)), {
      path: '/root/big.bin',
      size: big.length,
      mode: '0600',
    });
    const back = await get('/root/big.bin');
    t.equal(back.status, 200);
    t.equal(back.headers.get('content-type'), 'application/octet-stream');
    t.equal(back.headers.get('content-length'), String(big.length));
    t.equal(sha256(back.bytes), sha256(big), 'the bytes are the same');
    const inside = await sh('sha256sum /root/big.bin; stat -c %a /root/big.bin');
    t.equal(inside.stdout, `${sha256(big)}  /root/big.bin\n600\n`, 'the container sees it too');
  });

  void t.test('a chunked upload of unknown length is spooled and lands whole', async (t) => {
    const part = big.subarray(0, 3 * 1024 * 1024 + 17);
    const chunks = Readable.from(
      (function* () {
        for (let at = 0; at < part.length; at += 100_000) yield part.subarray(at, at + 100_000);
      })(),
    );
    const written = await put('/tmp/new/dir/chunked.bin', chunks, '&parents=true');
    t.equal(written.status, 201, written.bytes.toString());
    t.equal(FileWritten.parse(json(written)).size, part.length);
    t.equal(sha256((await get('/tmp/new/dir/chunked.bin')).bytes), sha256(part));
  });

  void t.test('ranges', async (t) => {
    const middle = await get('/root/big.bin', { range: 'bytes=1000-1999' });
    t.equal(middle.status, 206);
    t.equal(middle.headers.get('content-range'), `bytes 1000-1999/${big.length}`);
    t.same(middle.bytes, big.subarray(1000, 2000));
    // The smaller file for ranges that end at the end: the agent reads up to the range's end.
    const part = big.subarray(0, 3 * 1024 * 1024 + 17);
    const tail = await get('/tmp/new/dir/chunked.bin', { range: 'bytes=-10' });
    t.same(tail.bytes, part.subarray(part.length - 10));
    const from = await get('/tmp/new/dir/chunked.bin', { range: `bytes=${part.length - 5}-` });
    t.same(from.bytes, part.subarray(part.length - 5));
    const outside = await get('/tmp/new/dir/chunked.bin', { range: `bytes=${part.length}-` });
    t.equal(outside.status, 416);
    t.equal(outside.headers.get('content-range'), `bytes */${part.length}`);
    t.equal(ErrorBody.parse(json(outside)).code, 'range_not_satisfiable');
  });

  void t.test('a tree with symlinks and modes goes up and down as tar', async (t) => {
    const local = await mkdtemp(join(tmpdir(), 'rexec-files-'));
    t.teardown(() => rm(local, { recursive: true, force: true }));
    const tree = join(local, 'tree');
    await mkdir(join(tree, 'bin'), { recursive: true });
    await writeFile(join(tree, 'bin', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    await writeFile(join(tree, 'secret'), 'shh', { mode: 0o600 });
    await symlink('bin/run.sh', join(tree, 'relative-link'));
    await symlink('/etc/hostname', join(tree, 'absolute-link'));
    const packed = await streamToBuffer(tar.create({ cwd: tree, portable: true }, ['.']));
    const upload = await put('/srv/app', packed, '&archive=tar');
    t.equal(upload.status, 404, 'the target directory must exist');
    await fleet.apiAs(FileStat, 'POST', `/containers/${box.id}/files/mkdir`, {
      path: '/srv/app',
      parents: true,
    });
    const extracted = await put('/srv/app', packed, '&archive=tar');
    t.equal(extracted.status, 201, extracted.bytes.toString());
    t.ok(ArchiveWritten.parse(json(extracted)).files >= 5);
    t.equal((await sh('/srv/app/bin/run.sh')).stdout, 'ran\n', 'the executable bit survived');

    const listing = await fleet.apiAs(
      FileList,
      'GET',
      `/containers/${box.id}/files/list${q('/srv/app')}`,
    );
    const byName = new Map(listing.entries.map((entry) => [entry.name, entry]));
    t.match(byName.get('bin'), { type: 'directory' });
    t.match(byName.get('secret'), { type: 'file', size: 3, mode: '0600' });
    t.match(byName.get('relative-link'), { type: 'symlink', link_target: 'bin/run.sh' });
    t.match(byName.get('absolute-link'), { type: 'symlink', link_target: '/etc/hostname' });

    const download = await get('/srv/app', {}, '&archive=tar');
    t.equal(download.status, 200);
    t.equal(download.headers.get('content-type'), 'application/x-tar');
    const out = join(local, 'out');
    await mkdir(out);
    await pipeline(Readable.from([download.bytes]), tar.extract({ cwd: out }));
    const root = join(out, 'app');
    t.equal((await stat(join(root, 'bin', 'run.sh'))).mode & 0o777, 0o755);
    t.equal((await stat(join(root, 'secret'))).mode & 0o777, 0o600);
    t.equal(await readlink(join(root, 'relative-link')), 'bin/run.sh');
    const links = new Map<string, string>();
    await pipeline(
      Readable.from([download.bytes]),
      tar.list({ onReadEntry: (entry) => void links.set(entry.path, entry.linkpath ?? '') }),
    );
    t.equal(links.get('app/absolute-link'), '/etc/hostname', 'absolute link targets are kept');
    t.equal(await readFile(join(root, 'secret'), 'utf8'), 'shh');
  });

  void t.test('a stopped container is read and written; listing needs it running', async (t) => {
    const home = big.subarray(0, 256 * 1024);
    t.equal((await put('/root/home.bin', home)).status, 201);
    await fleet.api('POST', `/containers/${box.id}/stop`);
    await fleet.containerStatus(box.id, 'stopped');
    const back = await get('/root/home.bin');
    t.equal(back.status, 200);
    t.equal(sha256(back.bytes), sha256(home), 'the home volume is read while stopped');
    t.same((await get('/srv/app/secret')).bytes, Buffer.from('shh'), 'and the image layer');
    t.equal((await put('/root/while-stopped.txt', Buffer.from('offline'))).status, 201);
    t.same((await get('/root/while-stopped.txt')).bytes, Buffer.from('offline'));
    t.match(errorOf(await raw('GET', `/files/list${q('/root')}`)), {
      status: 409,
      code: 'invalid_state',
    });
    await fleet.api('POST', `/containers/${box.id}/start`);
    await fleet.containerStatus(box.id, 'running');
    t.equal((await sh('cat /root/while-stopped.txt')).stdout, 'offline', 'the write was kept');
  });
});
