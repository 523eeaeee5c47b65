// The files API on the real fleet: a control plane process, a real agent using `<engine> cp` and
// `<engine> exec` on a busybox container, and raw HTTP. A 20 MB round trip with matching sha256
// (the 200 MB one is bench/files.ts: the suite runs on two shared cores), a chunked upload,
// ranges, a tar of a tree with symlinks and modes up and down, list/stat/mkdir/move/remove,
// traversal attempts that stay inside the container, the upload limit and the disk quota leaving
// nothing behind, reads and writes on a stopped container, and another user's container.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ArchiveWritten,
  ErrorBody,
  ExecResult,
  FileList,
  FileStat,
  FileWritten,
  Tier,
  UserCreated,
} from '@rexec/protocol';
import * as tar from 'tar';
import t from 'tap';
import { RexecClient } from '../../packages/sdk/src/node.js';
import { cliFixture } from '../sdk/cli-process.js';
import { startFleet } from './fleet.js';

const MAX_UPLOAD_MB = 24;
const ROUND_TRIP_BYTES = 20 * 1024 * 1024;

interface Raw {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// Two cores shared with other suites: the transfers here move about 100 MB in all.
t.setTimeout(900_000);

void t.test('files on the real fleet', async (t) => {
  const fleet = await startFleet(t, { env: { REXEC_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB) } });
  // About a hundred calls in a few minutes: more than the admin tier's default operations budget.
  await fleet.apiAs(Tier, 'PATCH', '/tiers/enterprise', {
    rate_limits: { operations_per_minute: 100_000 },
  });
  await fleet.joinAgent('e2e-files');
  const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 });
  await fleet.containerStatus(box.id, 'running');
  const base = `${fleet.controlPlane.url}/api/v1/containers/${box.id}`;

  async function raw(
    method: string,
    path: string,
    init: { body?: Buffer | Readable; headers?: Record<string, string>; token?: string } = {},
  ): Promise<Raw> {
    const body =
      init.body instanceof Readable ? (Readable.toWeb(init.body) as ReadableStream) : init.body;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${init.token ?? fleet.controlPlane.adminToken}`,
        ...init.headers,
      },
      ...(body === undefined ? {} : { body, duplex: 'half' }),
    } as RequestInit);
    return {
      status: response.status,
      headers: response.headers,
      bytes: Buffer.from(await response.arrayBuffer()),
    };
  }
  const q = (path: string, extra = '') => `?path=${encodeURIComponent(path)}${extra}`;
  const put = (path: string, bytes: Buffer | Readable, extra = '') =>
    raw('PUT', `/files${q(path, extra)}`, { body: bytes });
  const get = (path: string, headers: Record<string, string> = {}, extra = '') =>
    raw('GET', `/files${q(path, extra)}`, { headers });
  const json = (answer: Raw): unknown => JSON.parse(answer.bytes.toString('utf8'));
  const errorOf = (answer: Raw) => ({
    status: answer.status,
    code: ErrorBody.parse(json(answer)).code,
  });
  const sh = async (command: string) =>
    fleet.apiAs(ExecResult, 'POST', `/containers/${box.id}/exec`, { command });

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

  void t.test('list, stat, mkdir, move and remove', async (t) => {
    const mkdirAt = (path: string, parents?: boolean) =>
      fleet.api('POST', `/containers/${box.id}/files/mkdir`, {
        path,
        ...(parents === undefined ? {} : { parents }),
      });
    const made = await mkdirAt('/work');
    t.equal(made.status, 201);
    t.match(FileStat.parse(made.body), { path: '/work', type: 'directory' });
    const again = await mkdirAt('/work');
    t.match(
      { status: again.status, code: ErrorBody.parse(again.body).code },
      { status: 409, code: 'path_exists' },
    );
    t.equal((await mkdirAt('/work', true)).status, 201, 'parents accepts an existing directory');
    t.equal((await mkdirAt('/missing/child')).status, 404);
    await put('/work/a.txt', Buffer.from('hello'));
    const moved = await fleet.api('POST', `/containers/${box.id}/files/move`, {
      from: '/work/a.txt',
      to: '/work/b.txt',
    });
    t.equal(moved.status, 200);
    t.match(FileStat.parse(moved.body), {
      path: '/work/b.txt',
      name: 'b.txt',
      size: 5,
      type: 'file',
    });
    await put('/work/c.txt', Buffer.from('c'));
    const clash = await fleet.api('POST', `/containers/${box.id}/files/move`, {
      from: '/work/c.txt',
      to: '/work/b.txt',
    });
    t.equal(clash.status, 409);
    const stat404 = await fleet.api('GET', `/containers/${box.id}/files/stat${q('/work/a.txt')}`);
    t.match(
      { status: stat404.status, code: ErrorBody.parse(stat404.body).code },
      { status: 404, code: 'path_not_found' },
    );
    const notEmpty = await raw('DELETE', `/files${q('/work')}`);
    t.match(errorOf(notEmpty), { status: 400, code: 'is_a_directory' });
    t.equal((await raw('DELETE', `/files${q('/work', '&recursive=true')}`)).status, 204);
    t.equal((await raw('DELETE', `/files${q('/work')}`)).status, 404);
    t.match(errorOf(await get('/srv')), { status: 400, code: 'is_a_directory' });
    t.match(errorOf(await get('/nope')), { status: 404, code: 'path_not_found' });
    t.match(errorOf(await get('relative')), { status: 400, code: 'invalid_request' });
    t.match(errorOf(await put('/', Buffer.from('x'))), { status: 400, code: 'invalid_path' });
  });

  void t.test(
    'paths stay inside the container: .., symlinks to /etc, absolute symlinks, /proc',
    async (t) => {
      const hostPasswd = await readFile('/etc/passwd');
      const containerPasswd = Buffer.from((await sh('cat /etc/passwd')).stdout);
      t.not(sha256(hostPasswd), sha256(containerPasswd), 'the two passwd files differ');
      t.same((await get('/../../../etc/passwd')).bytes, containerPasswd, '.. stops at the root');
      await sh(
        'ln -s /etc /tmp/etc-link; ln -s / /tmp/root-link; ln -s ../../../../etc/passwd /tmp/up-link',
      );
      t.same((await get('/tmp/etc-link/passwd')).bytes, containerPasswd, 'a symlink to /etc');
      t.same(
        (await get('/tmp/root-link/etc/passwd')).bytes,
        containerPasswd,
        'an absolute symlink',
      );
      t.same((await get('/tmp/up-link')).bytes, containerPasswd, 'a relative symlink climbing up');
      const proc = await get('/proc/1/root/etc/passwd');
      t.not(sha256(proc.bytes), sha256(hostPasswd), '/proc/1/root is not the host');
      const marker = `rexec-escape-${randomBytes(4).toString('hex')}`;
      const through = await put(`/tmp/etc-link/${marker}`, Buffer.from('inside'));
      t.equal(through.status, 201, through.bytes.toString());
      t.equal((await sh(`cat /etc/${marker}`)).stdout, 'inside', 'written in the container /etc');
      await t.rejects(stat(`/etc/${marker}`), 'and not in the host /etc');
      await put(`/tmp/root-link/tmp/${marker}`, Buffer.from('x'));
      await t.rejects(stat(`/tmp/${marker}`), 'an absolute symlink never writes to the host');
    },
  );

  void t.test('the upload limit and the disk quota refuse and leave nothing', async (t) => {
    const tooBig = Buffer.alloc((MAX_UPLOAD_MB + 1) * 1024 * 1024);
    t.match(errorOf(await put('/root/too-big', tooBig)), {
      status: 413,
      code: 'payload_too_large',
    });
    const chunked = await put('/root/too-big', Readable.from([tooBig]));
    t.match(errorOf(chunked), { status: 413, code: 'payload_too_large' });
    t.equal((await get('/root/too-big')).status, 404, 'nothing was written');

    const small = await fleet.createBox({ cpu_millicores: 250, memory_mb: 128, disk_mb: 8 });
    await fleet.containerStatus(small.id, 'running');
    const overQuota = Buffer.alloc(9 * 1024 * 1024, 1);
    const url = (path: string) =>
      `${fleet.controlPlane.url}/api/v1/containers/${small.id}/files${q(path)}`;
    const auth = { authorization: `Bearer ${fleet.controlPlane.adminToken}` };
    const declared = await fetch(url('/root/full'), {
      method: 'PUT',
      headers: auth,
      body: overQuota,
    });
    t.equal(declared.status, 403);
    t.equal(ErrorBody.parse(await declared.json()).code, 'disk_quota_exceeded');
    const streamed = await fetch(url('/root/full'), {
      method: 'PUT',
      headers: auth,
      body: Readable.toWeb(Readable.from([overQuota])) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    t.equal(streamed.status, 403, 'a chunked upload is refused while spooling');
    t.equal(ErrorBody.parse(await streamed.json()).code, 'disk_quota_exceeded');
    const after = await fetch(url('/root/full'), { headers: auth });
    t.equal(after.status, 404, 'no partial file is left');
  });

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
  });

  void t.test('another user gets 404', async (t) => {
    const created = await fleet.api('POST', '/users', { name: 'mallory-files' });
    const mallory = UserCreated.parse(created.body);
    const read = await raw('GET', `/files${q('/root/big.bin')}`, { token: mallory.token });
    t.match(errorOf(read), { status: 404, code: 'not_found' });
    const write = await raw('PUT', `/files${q('/root/x')}`, {
      token: mallory.token,
      body: Buffer.from('x'),
    });
    t.match(errorOf(write), { status: 404, code: 'not_found' });
    const list = await raw('GET', `/files/list${q('/')}`, { token: mallory.token });
    t.match(errorOf(list), { status: 404, code: 'not_found' });
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

async function streamToBuffer(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
