// Paths and limits of the files API on the real fleet (files-fleet.ts): list, stat, mkdir, move
// and remove with their errors, traversal attempts (`..`, a symlink to /etc, absolute symlinks,
// /proc/1/root) that stay inside the container, the upload limit and the disk quota refusing
// without leaving a partial file, and another user's container answering 404.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorBody, FileStat, UserCreated } from '@rexec/protocol';
import t from 'tap';
import { MAX_UPLOAD_MB, sha256, startFilesFleet } from './files-fleet.js';

// Two cores shared with other suites: the refused uploads send about 60 MB.
t.setTimeout(600_000);

void t.test('paths and limits of the files API', async (t) => {
  const files = await startFilesFleet(t, 'e2e-files-paths');
  const { fleet, box, raw, put, get, q, errorOf, sh } = files;

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
    t.match(errorOf(await get('/tmp')), { status: 400, code: 'is_a_directory' });
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
});
