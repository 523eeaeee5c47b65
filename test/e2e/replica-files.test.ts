// Files through a replica that does not hold the host's agent socket: two replicas on one Postgres
// sharing REXEC_CLUSTER_SECRET, the agent on B, the user on A. Uploads (with a length and chunked),
// downloads (whole, a range, a tar), list, stat, mkdir, move and remove go through A to B's agent
// with the same answers and errors a user gets from B; B refuses forwarded operations without a
// good signature, over another operation, or seen before; a holder that cannot be reached is 503.
// Before forwarding, A answered all of it 503 host_unavailable.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import t from 'tap';
import { FileList, FileStat, FileWritten } from '@rexec/protocol';
import { freePort } from '../helpers/net.js';
import {
  forwardKey,
  signForward,
} from '../../packages/control-plane/src/terminal/forward-signature.js';
import { startReplicaPair } from './replica-pair.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

interface Raw {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

async function rawCall(url: string, init: RequestInit): Promise<Raw> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

const json = (answer: Raw): unknown => JSON.parse(answer.bytes.toString('utf8'));

void t.test('files through the replica without the agent socket', async (t) => {
  const pair = await startReplicaPair(t, 'e2e-forward-files');
  const { fleet, holder, secret, box, hostId } = pair;

  const base = `${fleet.controlPlane.url}/api/v1/containers/${box.id}`;
  const auth = { authorization: `Bearer ${fleet.controlPlane.adminToken}` };
  const q = (path: string, extra = '') => `?path=${encodeURIComponent(path)}${extra}`;
  const viaA = (method: string, path: string, init: RequestInit = {}) =>
    rawCall(`${base}${path}`, {
      method,
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
    });

  const bytes = randomBytes(3 * 1024 * 1024 + 5);
  const put = await viaA('PUT', `/files${q('/root/up.bin', '&mode=0600')}`, { body: bytes });
  t.equal(put.status, 201, put.bytes.toString());
  t.match(FileWritten.parse(json(put)), { path: '/root/up.bin', size: bytes.length, mode: '0600' });
  const back = await viaA('GET', `/files${q('/root/up.bin')}`);
  t.equal(back.status, 200);
  t.equal(back.headers.get('content-length'), String(bytes.length));
  t.equal(sha256(back.bytes), sha256(bytes), 'an upload and a download through A keep the bytes');

  const part = bytes.subarray(0, 1024 * 1024 + 17);
  const chunks = Readable.from(
    (function* () {
      for (let at = 0; at < part.length; at += 100_000) yield part.subarray(at, at + 100_000);
    })(),
  );
  const chunked = await viaA('PUT', `/files${q('/root/chunked.bin')}`, {
    body: Readable.toWeb(chunks) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  t.equal(chunked.status, 201, chunked.bytes.toString());
  t.equal(FileWritten.parse(json(chunked)).size, part.length, 'a chunked upload lands whole');

  const range = await viaA('GET', `/files${q('/root/up.bin')}`, {
    headers: { range: 'bytes=1000-1999' },
  });
  t.equal(range.status, 206);
  t.equal(range.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
  t.same(range.bytes, bytes.subarray(1000, 2000), 'a range');
  const tar = await viaA('GET', `/files${q('/root', '&archive=tar')}`);
  t.equal(tar.status, 200);
  t.equal(tar.headers.get('content-type'), 'application/x-tar');
  t.ok(tar.bytes.includes('chunked.bin') && tar.bytes.length > bytes.length, 'a tar of /root');

  const post = (path: string, body: unknown) =>
    viaA('POST', path, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  t.equal((await post('/files/mkdir', { path: '/root/d' })).status, 201, 'mkdir');
  const moved = await post('/files/move', { from: '/root/up.bin', to: '/root/d/up.bin' });
  t.match(FileStat.parse(json(moved)), { path: '/root/d/up.bin', size: bytes.length }, 'move');
  const list = await viaA('GET', `/files/list${q('/root/d')}`);
  t.same(
    FileList.parse(json(list)).entries.map((entry) => entry.name),
    ['up.bin'],
    'list',
  );
  const stat = await viaA('GET', `/files/stat${q('/root/d/up.bin')}`);
  t.match(FileStat.parse(json(stat)), { type: 'file', mode: '0600' }, 'stat');
  const removed = await viaA('DELETE', `/files${q('/root/d', '&recursive=true')}`);
  t.equal(removed.status, 204, 'remove');
  const missing = await viaA('GET', `/files${q('/root/d/up.bin')}`);
  t.equal(missing.status, 404);
  t.match(json(missing), { code: 'path_not_found' }, 'the holder’s error comes through as it is');

  // B takes a forwarded operation only with a good signature over the same operation, once.
  const opLine = JSON.stringify({ kind: 'stat', path: '/root/chunked.bin' });
  const signed = signForward(forwardKey(secret), {
    containerId: box.id,
    hostId,
    opSha256: sha256(opLine),
  });
  const toB = (header: string, body: string) =>
    rawCall(`${holder.url}/internal/v1/files`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.rexec.forwarded-file',
        'x-rexec-forward': header,
      },
      body,
    });
  t.equal((await toB('v1.0.e30.AAAA', `${opLine}\n`)).status, 401, 'a forged signature');
  const otherOp = JSON.stringify({ kind: 'remove', path: '/root/chunked.bin', recursive: false });
  t.equal((await toB(signed, `${otherOp}\n`)).status, 401, 'another operation under the signature');
  const good = await toB(signed, `${opLine}\n`);
  t.equal(good.status, 200, 'the signed operation runs');
  t.match(json(good), { entry: { size: part.length } });
  t.equal((await toB(signed, `${opLine}\n`)).status, 401, 'and runs once');

  // A holder that cannot be reached: its advertised URL names a port nobody listens on.
  await pair.setHolderUrl(`http://127.0.0.1:${await freePort()}`);
  const unreachable = await viaA('GET', `/files${q('/root/chunked.bin')}`);
  await pair.setHolderUrl(holder.url);
  t.equal(unreachable.status, 503, 'a read through an unreachable holder');
  t.match(json(unreachable), { code: 'host_unavailable', error: /could not be reached/ });
});
