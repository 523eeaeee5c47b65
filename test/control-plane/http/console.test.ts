// The web console's static files as the control plane serves them, from a small build written
// here: index.html revalidated, hashed assets cached for a year, gzip when asked for, the strict
// security headers, nothing outside the loaded set, hidden from OpenAPI, and a clear answer when
// no console was built. The real console in a real browser is test/console/console.test.ts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { loadConsoleAssets } from '../../../packages/control-plane/src/http/console-assets.js';
import { startServer } from './server.js';

const INDEX =
  '<!doctype html><title>Rexec console</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = `export const x = ${JSON.stringify('console '.repeat(200))};\n`;

async function build(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-console-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), INDEX);
  await writeFile(join(dir, 'assets', 'index-abc123.js'), SCRIPT);
  await writeFile(join(dir, 'secret.txt'), 'not served');
  return dir;
}

void t.test('serves the built console with its cache and security headers', async (t) => {
  const assets = await loadConsoleAssets(await build(t));
  const server = await startServer(t, 'pglite', { console: assets });

  const index = await fetch(`${server.url}/`);
  t.equal(index.status, 200);
  t.equal(await index.text(), INDEX);
  t.match(index.headers.get('content-type'), /^text\/html/);
  t.equal(index.headers.get('cache-control'), 'no-cache');
  const csp = index.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'self'/);
  t.match(csp, /script-src 'self'(;|$)/, 'no inline or eval scripts');
  t.match(csp, /connect-src 'self'/);
  t.match(csp, /frame-ancestors 'none'/);
  t.notMatch(csp, /https?:/, 'no third-party origin');
  t.equal(index.headers.get('x-frame-options'), 'DENY');
  t.equal(index.headers.get('referrer-policy'), 'no-referrer');
  t.equal(index.headers.get('x-content-type-options'), 'nosniff');

  const raw = await fetch(`${server.url}/assets/index-abc123.js`, {
    headers: { 'accept-encoding': 'identity' },
  });
  t.equal(raw.status, 200);
  t.equal(raw.headers.get('content-encoding'), null);
  t.equal(await raw.text(), SCRIPT);
  t.match(raw.headers.get('content-type'), /^text\/javascript/);
  t.equal(raw.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.equal(raw.headers.get('vary'), 'accept-encoding');

  // fetch would undo the gzip on its own; node:http shows the bytes as sent.
  const { request } = await import('node:http');
  const gzipped = await new Promise<{ encoding: string | undefined; body: Buffer }>(
    (resolve, reject) => {
      request(`${server.url}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } })
        .on('response', (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              encoding: response.headers['content-encoding'],
              body: Buffer.concat(chunks),
            }),
          );
        })
        .on('error', reject)
        .end();
    },
  );
  t.equal(gzipped.encoding, 'gzip');
  t.ok(gzipped.body.length < SCRIPT.length, 'smaller than the file');
  t.equal(gunzipSync(gzipped.body).toString('utf8'), SCRIPT);

  for (const path of [
    '/assets/missing-000.js',
    '/assets/..%2Fsecret.txt',
    '/assets/..%2F..%2F..%2Fetc%2Fpasswd',
    '/secret.txt',
  ]) {
    const answer = await fetch(`${server.url}${path}`);
    t.equal(answer.status, 404, `${path} is not served`);
    t.equal(((await answer.json()) as { code: string }).code, 'not_found');
  }

  const api = await fetch(`${server.url}/api/v1/me`);
  t.equal(api.status, 401, 'the API beside it still needs a token');
  const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  t.notOk(doc.paths['/'], 'the console is not in the OpenAPI document');
  t.notOk(doc.paths['/assets/{file}']);
});

void t.test('without a built console, / says how to build one', async (t) => {
  const empty = await mkdtemp(join(tmpdir(), 'rexec-console-none-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  t.equal(await loadConsoleAssets(empty), null, 'no index.html: no console');
  const server = await startServer(t, 'pglite', { console: null });
  const answer = await fetch(`${server.url}/`);
  t.equal(answer.status, 404);
  const body = (await answer.json()) as { error: string; code: string };
  t.equal(body.code, 'not_found');
  t.match(body.error, /npm run build/);
});
